"""ticketminer: a self-hosted support-ticket mining service with a gRPC API."""

from ticketminer.numerics import pin_before_numpy

# Numpy's SIMD level is pinned when numpy first loads (see numerics.py), not here:
# importing only the generated stubs leaves the environment alone.
pin_before_numpy()

__version__ = "0.1.0"
