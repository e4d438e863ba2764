"""The project's benchmark: `minside bench` (see bench/run.py)."""
