"""Matching the trigger lexicon (data/triggers.tsv) against a parsed sentence.

Shared by the event finder and the relation classifier's lexicon votes, so it lives below both."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain

from spacy.tokens import Span

from detente.lexicon.ontology import Trigger, load_ontology

Match = tuple[Trigger, list[int], int]  # (trigger, token indices, head token index)
# Where a Doc keeps the default index's matches per sentence (doc.user_data: dies with the Doc).
MATCHES_KEY = "detente.trigger_matches"


class TriggerIndex:
    """The trigger lexicon indexed by first word: single words, verb+child pairs, multi-word runs."""

    def __init__(self, triggers: list[Trigger]):
        self.single: dict[str, list[Trigger]] = defaultdict(list)
        self.child: dict[str, list[tuple[str, Trigger]]] = defaultdict(list)
        self.multi: dict[str, list[tuple[tuple[str, ...], Trigger]]] = defaultdict(list)
        for t in triggers:
            if "+" in t.pattern:
                v, c = t.pattern.split("+", 1)
                self.child[v].append((c, t))
            elif " " in t.pattern:
                parts = tuple(t.pattern.split())
                self.multi[parts[0]].append((parts, t))
            else:
                self.single[t.pattern].append(t)
        self.first_words = set(self.single) | set(self.child) | set(self.multi)

    @staticmethod
    def _pos_ok(trig: Trigger, tok) -> bool:
        if trig.pos == "ANY":
            return tok.pos_ in ("VERB", "NOUN", "PROPN", "ADJ", "AUX")
        if trig.pos == "VERB":
            return tok.pos_ in ("VERB", "AUX") or (tok.tag_.startswith("VB"))
        if trig.pos == "NOUN":
            return tok.pos_ in ("NOUN", "PROPN")
        return tok.pos_ == trig.pos

    def _multi_word(self, key: str, k: int, toks: list) -> Iterator[tuple[int, Match]]:
        """Multi-word patterns starting at toks[k] (specificity 3; the head is the last word)."""
        for parts, trig in self.multi.get(key, ()):
            n = len(parts)
            seq = toks[k : k + n]
            if len(seq) == n and all(
                s.lemma_.lower() == p or s.text.lower() == p for s, p in zip(seq, parts)
            ):
                yield 3, (trig, [s.i for s in seq], seq[-1].i)

    def _with_child(self, key: str, tok) -> Iterator[tuple[int, Match]]:
        """verb+particle patterns ("call+for"): the particle follows and governs no date ("called X
        on Monday" is not "call on") (specificity 2)."""
        for c, trig in self.child.get(key, ()):
            if not self._pos_ok(trig, tok):
                continue
            for ch in tok.children:
                if (
                    ch.i > tok.i
                    and (ch.lemma_.lower() == c or ch.text.lower() == c)
                    and not any(p.dep_ == "pobj" and p.ent_type_ in ("DATE", "TIME") for p in ch.children)
                ):
                    yield 2, (trig, [tok.i, ch.i], tok.i)
                    break

    def _single_word(self, key: str, tok) -> Iterator[tuple[int, Match]]:
        for trig in self.single.get(key, ()):
            if self._pos_ok(trig, tok):
                yield 1, (trig, [tok.i], tok.i)

    def match(self, sent: Span) -> list[Match]:
        """(trigger, token indices, head token) for the sentence, most specific match per token
        (then the heaviest; on a tie the first found)."""
        best: dict[int, tuple[int, Match]] = {}  # head -> (specificity, match)
        toks = list(sent)
        for k, tok in enumerate(toks):
            for key in {tok.lemma_.lower(), tok.text.lower()}:
                if key not in self.first_words:
                    continue  # most words start no pattern: skip the three lookups
                found = chain(
                    self._multi_word(key, k, toks), self._with_child(key, tok), self._single_word(key, tok)
                )
                for spec, m in found:
                    cur = best.get(m[2])
                    if cur is None or (spec, m[0].weight) > (cur[0], cur[1][0].weight):
                        best[m[2]] = (spec, m)
        return [m for _spec, m in best.values()]


@lru_cache(maxsize=1)
def default_trigger_index() -> TriggerIndex:
    """The index of the shipped lexicon (data/triggers.tsv), built once per process."""
    return TriggerIndex(load_ontology().triggers)


def sentence_matches(sent: Span, index: TriggerIndex) -> list[Match]:
    """`index.match(sent)`, kept on the Doc for the default index: the event finder, the
    trigger component and the relation features all ask for the same sentences."""
    if index is not default_trigger_index():
        return index.match(sent)
    per_sentence = sent.doc.user_data.setdefault(MATCHES_KEY, {})
    key = (sent.start, sent.end)
    found = per_sentence.get(key)
    if found is None:
        found = per_sentence[key] = index.match(sent)
    return found
