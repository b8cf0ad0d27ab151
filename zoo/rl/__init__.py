"""rl models: one family per file."""
