"""Event candidates from triggers and the learned decision over actor pairs."""
