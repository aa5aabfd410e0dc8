"""ticketminer: a self-hosted support-ticket mining service with a gRPC API."""

from ticketminer.numerics import pin_simd_level, quiet_idle_blas_threads

pin_simd_level()  # before anything imports numpy: see numerics.py
quiet_idle_blas_threads()

__version__ = "0.1.0"
