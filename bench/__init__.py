"""Benchmarks, each runnable alone: `.venv/bin/python -m bench.<name>`."""
