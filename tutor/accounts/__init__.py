"""Users, roles, course membership, password hashing, login throttling and rate limits.

Kept import-light: ``tutor.config`` imports ``tutor.accounts.settings``.
"""
