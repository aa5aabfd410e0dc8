"""The weekly issue digest: what happened in one ISO week, and why."""
