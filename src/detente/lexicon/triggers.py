"""Matching the trigger lexicon (data/triggers.tsv) against a parsed sentence.

Shared by the event finder and the relation classifier's lexicon votes, so it lives below both."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

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

    @staticmethod
    def _pos_ok(trig: Trigger, tok) -> bool:
        if trig.pos == "ANY":
            return tok.pos_ in ("VERB", "NOUN", "PROPN", "ADJ", "AUX")
        if trig.pos == "VERB":
            return tok.pos_ in ("VERB", "AUX") or (tok.tag_.startswith("VB"))
        if trig.pos == "NOUN":
            return tok.pos_ in ("NOUN", "PROPN")
        return tok.pos_ == trig.pos

    def match(self, sent: Span) -> list[Match]:
        """(trigger, token indices, head token) for the sentence, most specific match per token."""
        out: dict[int, tuple[Trigger, list[int], int, int]] = {}  # head -> (trig, toks, head, specificity)
        toks = list(sent)
        for k, tok in enumerate(toks):
            lem = tok.lemma_.lower()
            low = tok.text.lower()
            found: list[tuple[Trigger, list[int], int, int]] = []
            for key in {lem, low}:
                for parts, trig in self.multi.get(key, ()):
                    n = len(parts)
                    seq = toks[k : k + n]
                    if len(seq) == n and all(
                        s.lemma_.lower() == p or s.text.lower() == p for s, p in zip(seq, parts)
                    ):
                        found.append((trig, [s.i for s in seq], seq[-1].i, 3))
                for c, trig in self.child.get(key, ()):
                    if not self._pos_ok(trig, tok):
                        continue
                    for ch in tok.children:
                        if (
                            ch.i > tok.i
                            and (ch.lemma_.lower() == c or ch.text.lower() == c)
                            and not any(
                                p.dep_ == "pobj" and p.ent_type_ in ("DATE", "TIME") for p in ch.children
                            )
                        ):  # "called X on Monday"
                            found.append((trig, [tok.i, ch.i], tok.i, 2))
                            break
                for trig in self.single.get(key, ()):
                    if self._pos_ok(trig, tok):
                        found.append((trig, [tok.i], tok.i, 1))
            for f in found:
                cur = out.get(f[2])
                if cur is None or (f[3], f[0].weight) > (cur[3], cur[0].weight):
                    out[f[2]] = f
        return [(t, toks_, h) for t, toks_, h, _ in out.values()]


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
