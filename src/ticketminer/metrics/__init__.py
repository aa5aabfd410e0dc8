"""Support metrics: per-ticket facts, their aggregation, and declared definitions."""
