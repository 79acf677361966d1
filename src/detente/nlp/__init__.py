"""spaCy loading, sentence handling and text normalisation shared by every stage."""
