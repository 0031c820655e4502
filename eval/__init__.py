"""Evaluation harness (tutor eval): datasets, metrics, suites and reports."""
