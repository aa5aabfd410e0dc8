"""ticketminer: a self-hosted support-ticket mining service with a gRPC API."""

from ticketminer.numerics import pin_simd_level

pin_simd_level()  # before anything imports numpy: see numerics.py

__version__ = "0.1.0"
