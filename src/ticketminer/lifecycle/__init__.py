"""Customer lifecycle and delight: which issues trip up new customers, and which
issues and words go with praise or with trouble."""
