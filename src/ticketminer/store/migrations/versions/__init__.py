"""Alembic revision scripts, one per schema change (see ticketminer.store.migrations)."""
