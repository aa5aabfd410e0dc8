"""ticketminer: a self-hosted support-ticket mining service with a gRPC API."""

__version__ = "0.1.0"
