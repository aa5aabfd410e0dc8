"""Benchmarks for ticketminer; `python -m bench.run_all` runs them and writes BENCHMARKS.md."""
