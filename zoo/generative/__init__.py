"""generative models: one family per file."""
