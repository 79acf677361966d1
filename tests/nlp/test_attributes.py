"""The indexed attribute ruler (nlp/attributes.py) gives exactly what spaCy's attribute_ruler gives."""

import spacy
from spacy.pipeline import AttributeRuler

from detente.nlp.attributes import IndexedAttributeRuler, index_attribute_ruler
from detente.nlp.load import SPACY_MODEL, load_nlp

# Written for this test: headlines and leads, plus the forms the model's special rules are about
# (contractions, "gonna", "let's", expletive "there", auxiliaries, determiners used as pronouns,
# "I"/"you"/"it" as subject and object, odd whitespace).
TEXTS = [
    "Germany's chancellor arrived in Beijing on Sunday for a three-day visit.",
    "Dozens killed in Russian missile strike on Kharkiv\nThe governor said rescue work was under way.",
    "There is no deal yet, but there are talks; that is what the minister said.",
    "Which of these does he want? This one, and that too. Whatever they did, it was not enough.",
    "I ain't gonna sign it, y'all. Let's wait. It ai n't over; c'mon, we gotta go.",
    "He has done it and had it done. Do you? Did they? It is I who asked you, and you asked me.",
    "Give it to me, you and I know it.  Two  spaces,\ttabs\tand\n\nblank lines.",
    "If and because and although the talks failed, the ministers met again, though briefly.",
    "A delegation and an envoy; the talks. 'Tis not so, n't it? Don't, can't, won't.",
    "",
]


def _attributes(doc):
    return [(t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_) for t in doc]


def test_the_indexed_ruler_gives_what_spacys_ruler_gives_on_the_packaged_model():
    plain = spacy.load(SPACY_MODEL)
    indexed = spacy.load(SPACY_MODEL)
    assert index_attribute_ruler(indexed)
    assert indexed.pipe_names == plain.pipe_names
    ruler = indexed.get_pipe("attribute_ruler")
    assert isinstance(ruler, IndexedAttributeRuler)
    # most rules are filed or looked up by form; only a few stay with a Matcher
    assert len(ruler.matcher) < 5 and ruler.by_form and ruler.filed
    for a, b in zip(plain.pipe(TEXTS), indexed.pipe(TEXTS)):
        assert _attributes(a) == _attributes(b), a.text
    # the special rules did fire on these texts
    words = {(t.lower_, t.lemma_, t.pos_) for d in indexed.pipe(TEXTS) for t in d}
    assert ("gon", "go", "VERB") in words or ("gon", "go", "AUX") in words
    assert any(low == "ai" and lemma == "be" for low, lemma, _ in words)
    # the per-form cache holds only forms some rule names (it must not grow with the vocabulary)
    assert {low for _tag, low in ruler._by_form_cache} <= ruler.rule_forms | {None}
    assert len(ruler._by_form_cache) < len(words)


def test_later_rules_win_and_every_kind_of_rule_is_applied_as_spacy_applies_it():
    """A ruler of our own whose rules overlap: by form, filed by dependency, several tokens,
    a regex on the first token (left to a Matcher), indices counted from the end."""
    nlp = spacy.load(SPACY_MODEL, exclude=["attribute_ruler", "lemmatizer"])
    rules = [
        ([[{"TAG": "NNP"}]], {"POS": "PROPN", "MORPH": "Number=Sing"}, 0),
        ([[{"TAG": "NNP", "LOWER": {"IN": ["beijing", "kyiv"]}}]], {"MORPH": "Case=Loc"}, 0),
        ([[{"LOWER": "talks", "DEP": {"IN": ["nsubj", "dobj", "pobj"]}}]], {"POS": "X"}, 0),
        ([[{"TAG": {"NOT_IN": ["NNP", ""]}, "DEP": "ROOT"}]], {"LEMMA": "root"}, 0),
        ([[{"LOWER": "held"}, {"LOWER": "talks"}]], {"LEMMA": "confer"}, -1),
        ([[{"LOWER": {"REGEX": "^bei"}}]], {"POS": "NOUN"}, 0),
        ([[{"IS_SPACE": True}]], {"POS": "SPACE"}, 0),
        ([[{"TAG": "NNP"}]], {"MORPH": "Number=Plur"}, 0),  # later: wins over the first two
    ]
    spacy_ruler = AttributeRuler(nlp.vocab)
    for patterns, attrs, index in rules:
        spacy_ruler.add(patterns, attrs, index)
    ours = IndexedAttributeRuler(nlp.vocab).load_rules(spacy_ruler)
    assert len(ours.matcher) == 1  # only the regex-first rule
    texts = ["Germany held talks with China in Beijing.", "The talks  in Kyiv ended.", "Beijing held talks."]
    for text in texts:
        a, b = spacy_ruler(nlp(text)), ours(nlp(text))
        assert _attributes(a) == _attributes(b), text
    doc = ours(nlp("Germany held talks with China in Beijing."))
    beijing = next(t for t in doc if t.text == "Beijing")
    assert (beijing.pos_, str(beijing.morph)) == ("NOUN", "Number=Plur")
    assert next(t for t in doc if t.text == "talks").lemma_ == "confer"


def test_the_coders_pipeline_uses_the_indexed_ruler():
    assert isinstance(load_nlp().get_pipe("attribute_ruler"), IndexedAttributeRuler)
