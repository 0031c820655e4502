"""Prompt templates (Jinja, strict undefined variables), shipped as package data."""
