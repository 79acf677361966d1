"""spaCy's attribute_ruler with its rules looked up instead of matched: the same rules, applied in
the same order, give the same tags, POS, morphology and lemmas in a fraction of the time.

The packaged model's attribute_ruler maps each fine-grained tag (and some tag + word pairs) to a
coarse POS and morphology: 179 rules, and spaCy's Matcher tries every one of them at every token,
evaluating each rule's set and regex tests token by token. That was ~11% of the coder's time on RSS
items. Here a rule is filed under what its first token must be (a tag, a lowercase form, a
dependency label, being whitespace), so a token meets only the few rules filed under its own
values, and those are checked in full. 157 of the rules test nothing but a token's tag and
lowercase form: their merged result is cached per (tag, form). A rule using anything else (an
operator, another attribute, a first token that can only be matched by a regex) stays with a
spaCy Matcher of its own. All matches are collected first and then applied in rule order, a later
rule winning, as spaCy's ruler does."""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc, Token
from spacy.tokens._retokenize import set_token_attrs

# Token attributes a filed rule may test, and how they are read.
READ = {
    "TAG": lambda t: t.tag_,
    "LOWER": lambda t: t.lower_,
    "DEP": lambda t: t.dep_,
    "IS_SPACE": lambda t: t.is_space,
}
# What a first token is filed under, most selective first.
FILE_BY = ("LOWER", "TAG", "DEP", "IS_SPACE")

Test = tuple[str, str, object]  # (attribute, "eq" | "in" | "not_in" | "regex", value)


def _test(attr: str, value) -> Test | None:
    """One pattern entry as a test, or None when it is not one this module evaluates."""
    if attr not in READ:
        return None
    if isinstance(value, (str, bool)):
        return (attr, "eq", value)
    if isinstance(value, dict) and len(value) == 1:
        ((op, arg),) = value.items()
        if op in ("IN", "NOT_IN") and isinstance(arg, list):
            return (attr, op.lower(), frozenset(arg))
        if op == "REGEX" and isinstance(arg, str):
            return (attr, "regex", re.compile(arg))
    return None


def _passes(tok: Token, tests: list[Test]) -> bool:
    for attr, op, value in tests:
        v = READ[attr](tok)
        if op == "eq":
            ok = v == value
        elif op == "in":
            ok = v in value
        elif op == "not_in":
            ok = v not in value
        else:
            ok = isinstance(v, str) and value.search(v) is not None
        if not ok:
            return False
    return True


def _filing_keys(first: list[Test]) -> list[tuple[str, object]] | None:
    """The (attribute, value) keys a pattern's first token is filed under, or None."""
    for attr in FILE_BY:
        for a, op, value in first:
            if a == attr and op == "eq":
                return [(attr, value)]
            if a == attr and op == "in":
                return [(attr, v) for v in value]
    return None


class IndexedAttributeRuler:
    """Drop-in for a loaded AttributeRuler (see the module docstring); empty until `load_rules`."""

    def __init__(self, vocab) -> None:
        self.vocab = vocab
        self.attrs: list[dict] = []
        self.indices: list[int] = []
        # rules testing only TAG and LOWER with eq/in: (tag, lower) -> rule numbers, None = any
        self.by_form: dict[tuple[str | None, str | None], list[int]] = {}
        # other filed rules: (attribute, value) -> [(rule, per-token tests)]
        self.filed: dict[tuple[str, object], list[tuple[int, list[list[Test]]]]] = {}
        self.matcher = Matcher(vocab)
        # lowercase forms some by-form rule names: any other form is looked up as None, so the
        # cache below stays as small as the rules (a long `detente watch` meets every word)
        self.rule_forms: set[str] = set()
        self._by_form_cache: dict[tuple[str, str | None], tuple[list[int], dict]] = {}

    def load_rules(self, ruler: AttributeRuler) -> IndexedAttributeRuler:
        """Take over the rules of `ruler` (rule k of its `patterns` stays rule k)."""
        self.attrs, self.indices = list(ruler.attrs), list(ruler.indices)
        self.by_form, self.filed, self._by_form_cache = {}, {}, {}
        self.matcher = Matcher(self.vocab)
        for rule, p in enumerate(ruler.patterns):
            # per pattern, per token, its tests
            compiled = [[[_test(a, v) for a, v in tok.items()] for tok in pat] for pat in p["patterns"]]
            keys = [_filing_keys(tests[0]) if tests else None for tests in compiled]
            if any(t is None for tests in compiled for tok in tests for t in tok) or None in keys:
                self.matcher.add(str(rule), p["patterns"])
                continue
            for tests, key in zip(compiled, keys):
                if len(tests) == 1 and all(
                    a in ("TAG", "LOWER") and op in ("eq", "in") for a, op, _ in tests[0]
                ):
                    self._file_by_form(rule, tests[0])
                else:
                    for k in key:
                        self.filed.setdefault(k, []).append((rule, tests))
        self.rule_forms = {low for _tag, low in self.by_form if low is not None}
        return self

    def _file_by_form(self, rule: int, tests: list[Test]) -> None:
        allowed = {a: ([v] if op == "eq" else sorted(v)) for a, op, v in tests}
        for tag in allowed.get("TAG", [None]):
            for low in allowed.get("LOWER", [None]):
                rules = self.by_form.setdefault((tag, low), [])
                if rule not in rules:
                    rules.append(rule)

    def _form_rules(self, tag: str, low: str) -> tuple[list[int], dict]:
        """The by-form rules a (tag, lowercase) token meets, in rule order, and their attributes
        merged (a later rule's value wins, as when they are applied one by one)."""
        if low not in self.rule_forms:
            low = None
        hit = self._by_form_cache.get((tag, low))
        if hit is None:
            get = self.by_form.get
            keys = ((tag, None), (tag, low), (None, low)) if low is not None else ((tag, None),)
            rules = sorted({r for key in keys for r in get(key, ())})
            merged: dict = {}
            for r in rules:
                merged.update(self.attrs[r])
            hit = self._by_form_cache[(tag, low)] = (rules, merged)
        return hit

    def __call__(self, doc: Doc) -> Doc:
        # one pass reads each token once: its by-form rules, and the filed rules it starts
        forms, hits = [], set()
        filed, n = self.filed, len(doc)
        for tok in doc:
            tag, low = tok.tag_, tok.lower_
            forms.append(self._form_rules(tag, low))
            for key in (("LOWER", low), ("TAG", tag), ("DEP", tok.dep_), ("IS_SPACE", tok.is_space)):
                for rule, tests in filed.get(key, ()):
                    i, end = tok.i, tok.i + len(tests)
                    if end <= n and all(_passes(doc[i + k], t) for k, t in enumerate(tests)):
                        hits.add((rule, i, end))
        if len(self.matcher):
            strings = self.vocab.strings
            hits |= {(int(strings[m]), s, e) for m, s, e in self.matcher(doc, allow_missing=True)}
        # the token each of those rules sets (a rule's index may count from the end)
        touched = {(s if self.indices[r] >= 0 else e) + self.indices[r] for r, s, e in hits}
        ordered = list(hits)
        for tok, (rules, merged) in zip(doc, forms):
            if tok.i in touched:
                # another rule also sets this token: apply all of them in rule order
                ordered += [(r, tok.i, tok.i + 1) for r in rules]
            elif merged:
                set_token_attrs(tok, merged)
        ordered.sort()
        for rule, start, end in ordered:
            set_token_attrs(doc[start:end][self.indices[rule]], self.attrs[rule])
        return doc


@Language.factory("detente_indexed_attributes")
def make_indexed_attributes(nlp: Language, name: str) -> IndexedAttributeRuler:
    return IndexedAttributeRuler(nlp.vocab)


def index_attribute_ruler(nlp: Language, name: str = "attribute_ruler") -> bool:
    """Replace the pipeline's attribute_ruler by its indexed twin under the same name and at the
    same place; False when the pipeline has none."""
    if name not in nlp.pipe_names:
        return False
    ruler = nlp.get_pipe(name)
    position = nlp.pipe_names.index(name)
    nlp.remove_pipe(name)
    after = nlp.pipe_names[position:]
    where = {"before": after[0]} if after else {}
    nlp.add_pipe("detente_indexed_attributes", name=name, **where).load_rules(ruler)
    return True
