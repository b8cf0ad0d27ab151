"""graph models: one family per file."""
