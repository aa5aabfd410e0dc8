"""JSON over HTTP for every RPC: a Connect-protocol gateway that forwards each call to
the in-process gRPC server, so auth, limits, logs and answers stay the gRPC ones."""
