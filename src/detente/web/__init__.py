"""The HTTP API and dashboard (FastAPI app, response models, static files)."""
