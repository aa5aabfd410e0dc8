"""Peer methods the quality benchmark compares ticketminer with.

Scripts here run inside the bench-only virtualenv .venv-bench (scripts/bench_env.sh),
never in the service's venv, and must not import ticketminer.
"""
