"""Persistence: SQLAlchemy schema and repository functions (SQLite or PostgreSQL)."""
