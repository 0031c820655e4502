"""Benchmark scripts: they print figures and write bench/results/*.json; nothing fails."""
