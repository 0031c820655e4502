"""The transcript store: every turn with its provenance, reviews, feedback and the audit log."""
