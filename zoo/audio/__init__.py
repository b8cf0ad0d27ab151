"""audio models: one family per file."""
