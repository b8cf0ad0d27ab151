"""nlp models: one family per file."""
