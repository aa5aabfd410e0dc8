"""Application services: validate, store and query, with no knowledge of gRPC."""
