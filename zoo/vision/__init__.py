"""vision models: one family per file."""
