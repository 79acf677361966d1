"""Training and evaluation of the relation models (needs the `train` extra for the reader)."""
