"""Other ideas — architectures that are not tied to one data type: one family per file."""
