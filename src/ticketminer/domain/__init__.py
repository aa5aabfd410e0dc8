"""Plain domain types shared by every layer; nothing here knows gRPC or SQL."""
