"""gRPC edge: servicers, converters, interceptors and the error-to-status mapping."""
