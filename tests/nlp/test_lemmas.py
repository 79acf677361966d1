"""The lemmatizer with its word index as sets (nlp/lemmas.py) gives exactly spaCy's lemmas."""

import spacy

from detente.nlp.lemmas import index_lemma_tables
from detente.nlp.load import SPACY_MODEL, load_nlp

# Written for this test: inflected nouns, verbs and adjectives, whose lemmas come from the rule
# path that reads the index (plurals, past tenses, third persons, comparatives), and base forms.
TEXTS = [
    "Ministers welcomes the curbs, keeps the talks going and faces messier disputes.",
    "The rebels were shelling villages; troops had retreated and envoys met the leaders.",
    "Bigger sanctions, harsher tariffs: the countries argued, threatened and finally agreed.",
    "Officials said the geese flew over the mice while children watched the oxen.",
    "Return of the exiles: he has gone, they went, she goes, we are going.",
]


def _lemmas(nlp):
    return [[t.lemma_ for t in doc] for doc in nlp.pipe(TEXTS)]


def test_the_set_index_gives_the_same_lemmas_as_spacys_lists():
    plain = spacy.load(SPACY_MODEL, exclude=["ner"])
    indexed = spacy.load(SPACY_MODEL, exclude=["ner"])
    assert isinstance(plain.get_pipe("lemmatizer").lookups.get_table("lemma_index")["noun"], list)
    assert index_lemma_tables(indexed)
    table = indexed.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    assert table and all(isinstance(v, frozenset) for v in table.values())
    assert _lemmas(indexed) == _lemmas(plain)
    # the rule path was taken: inflected forms came back as their base forms
    flat = {lemma for doc in _lemmas(indexed) for lemma in doc}
    assert {"curb", "keep", "face", "shell", "village", "retreat", "envoy", "mouse"} <= flat


def test_the_coders_pipeline_has_the_set_index_and_a_pipeline_without_lemmatizer_is_left_alone():
    table = load_nlp().get_pipe("lemmatizer").lookups.get_table("lemma_index")
    assert all(isinstance(v, frozenset) for v in table.values())
    bare = spacy.load(SPACY_MODEL, exclude=["lemmatizer", "ner"])
    assert not index_lemma_tables(bare)
