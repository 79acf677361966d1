"""Relation models: the linear classifier and the fine-tuned reader (`--accurate`)."""
