"""The ontology (PLOVER/CAMEO tables) and the trigger lexicon, read from data files."""
