"""From argument tokens to actor mentions: which mentions an argument head stands for, and the
fall-backs that find a recipient elsewhere (deeper in the phrase, the place attacked, the party
of the previous sentence). `DocMentions` is the per-document state they share."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from spacy.tokens import Doc, Token

from detente.coding.events.candidates import Candidate
from detente.coding.events.vocabulary import (
    AGENT_HEADS,
    ANAPHORIC_DETS,
    ANAPHORIC_NOUNS,
    DEEP_DEPS,
    LOCATION_TARGET_TYPES,
    LOCATIVE_PREPS,
    NON_AGENT,
    PLACE_PREPS,
    REPORTING,
    SOURCE_PREPS,
    UNKNOWN,
)
from detente.coding.places import PlaceResolver
from detente.model import Actor, Mention

# verbs whose pronoun subject's reported speech belongs to the speaker ("Peru said it would ...")
_SPEAKER_HEADS = REPORTING | {"warn", "vow", "threaten", "promise", "pledge"}


@dataclass
class DocMentions:
    """The mentions of one document, indexed by token. Actors inferred by the rules (one per
    country of "ministers from A and B", the country of a place attacked) are appended."""

    doc: Doc
    mentions: list[Mention]
    keep_unknown: bool
    by_token: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, doc: Doc, mentions: list[Mention], keep_unknown: bool) -> DocMentions:
        state = cls(doc, list(mentions), keep_unknown)
        for mi, m in enumerate(state.mentions):
            for i in range(m.start, m.end):
                state.by_token.setdefault(i, []).append(mi)
        return state

    def known(self, mi: int) -> bool:
        """The mention may take part in an event (its country is known, or unknown ones are kept)."""
        return self.keep_unknown or self.mentions[mi].actor.code != UNKNOWN

    def add(self, mention: Mention) -> int:
        self.mentions.append(mention)
        return len(self.mentions) - 1


def country_of(m: Mention) -> str:
    return m.actor.country or m.actor.code


# ---------------------------------------------------------------------- argument -> mentions
def _own_possessive(tok, st: DocMentions) -> bool:
    """'its/their/our soldiers' where the phrase names no known actor itself."""
    return any(ch.dep_ == "poss" and ch.lower_ in ("its", "their", "our") for ch in tok.children) and all(
        st.mentions[mi].actor.code == UNKNOWN for mi in st.by_token.get(tok.i, ())
    )


def _speaker_subject(tok, own_poss: bool) -> bool:
    return (
        (tok.lower_ in ("it", "they", "we") or own_poss)
        and tok.head.dep_ == "ccomp"
        and tok.head.head.lemma_.lower() in _SPEAKER_HEADS
    )


def _speaker_mentions(tok, st: DocMentions) -> list[int]:
    # ("The army said its soldiers did not fire": 'its soldiers' are the speaker's)
    # "Peru said it would expel ...": the pronoun subject of reported speech is the speaker
    found: list[int] = []
    for ch in tok.head.head.children:
        if ch.dep_ == "nsubj":
            for t in [ch] + list(ch.conjuncts):
                found += [mi for mi in st.by_token.get(t.i, ()) if mi not in found]
    return found


def _phrase_mentions(tok, st: DocMentions, role: str) -> list[int] | None:
    """Mentions in the noun phrase of `tok`; None when the phrase cannot be an actor."""
    if tok.lemma_.lower() in NON_AGENT and role == "source":
        return None
    found, via_mod = _subtree_mentions(tok, st.by_token, role)
    if (
        role == "source"
        and via_mod
        and tok.lemma_.lower() not in AGENT_HEADS
        and tok.pos_ in ("NOUN", "PROPN")
    ):
        # "a British man", "Iranian actor": a nationality on a private person/thing
        return None
    return found


def _with_conjuncts(found: list[int], st: DocMentions, role: str, event: str) -> list[int]:
    out = []
    for mi in found:
        m = st.mentions[mi]
        if m.is_location and not (role == "target" and event in LOCATION_TARGET_TYPES):
            continue
        if mi not in out:
            out.append(mi)
    for mi in list(out):
        m = st.mentions[mi]
        # conjuncts of the mention's head or of its modifier ("Armenian and Azerbaijani
        # negotiators", "Japan and the Philippines")
        cjs = [cj for t in st.doc[m.start : m.end] for cj in t.conjuncts if not (m.start <= cj.i < m.end)]
        for cj in cjs:
            for cm in st.by_token.get(cj.i, ()):
                if cm not in out and not (st.mentions[cm].is_location and role == "source"):
                    out.append(cm)
    return out


def arg_mentions(st: DocMentions, tok: Token, role: str, event: str = "") -> list[int]:
    """Mentions an argument head stands for: the mention covering it, else the nearest one in
    its noun phrase reached through possessives, modifiers and of/from/by phrases ("Russia's
    army", "ministers from Armenia"). Places ("in Paris") are never participants, except the
    target of an attack or deployment on foreign soil. Conjuncts of the mention found are
    added ("imports from Canada and Mexico"). Same-span mentions ("the two leaders") all count."""
    own_poss = _own_possessive(tok, st)
    if tok.i in st.by_token and not own_poss:
        found = list(st.by_token[tok.i])
    elif role == "source" and _speaker_subject(tok, own_poss):
        found = _speaker_mentions(tok, st)
        if not found:
            return []
    else:
        found = _phrase_mentions(tok, st, role)
        if found is None:
            return []
    return _with_conjuncts(found, st, role, event)


def _subtree_mentions(tok, tok2m, role):
    """Nearest mentions below a noun through possessive/modifier/of-phrase links (not across
    clauses). Returns (mention indices, reached only through an adjective/compound modifier)."""
    best, best_d, best_mod = [], 99, False
    max_d = 2 if role == "source" else 3
    stack = [(tok, 0, True)]
    while stack:
        t, d, mod_only = stack.pop()
        if d and t.i in tok2m and d <= best_d:
            if d < best_d:
                best, best_d, best_mod = [], d, True
            best += [mi for mi in tok2m[t.i] if mi not in best]
            best_mod = best_mod and mod_only
            continue
        if d >= max_d:
            continue
        stack.extend(_phrase_links(t, d, mod_only, role))
    return best, best_mod


def _phrase_links(t, d: int, mod_only: bool, role: str) -> list:
    """The children of `t` the phrase search follows, as (token, depth, reached only by modifiers)."""
    out = []
    for ch in t.children:
        dep = ch.dep_
        if dep == "poss":
            out.append((ch, d + 1, False))
        elif dep in ("compound", "amod", "nmod", "nummod"):
            out.append((ch, d + 1, mod_only))
        elif dep == "prep" and (
            ch.lower_ in SOURCE_PREPS if role == "source" else ch.lower_ not in LOCATIVE_PREPS
        ):
            out.append((ch, d + 1, False))
        elif dep == "pobj" and t.dep_ == "prep":
            out.append((ch, d, mod_only))
    return out


# ---------------------------------------------------------------------- inferred actors
def _country_parts(root, st: DocMentions) -> list[int]:
    """Country/IGO mentions in of/from phrases of a mention's head ("ministers from A and B")."""
    extra = []
    for ch in root.children:
        if ch.dep_ == "prep" and ch.lower_ in ("of", "from"):
            for p in ch.children:
                if p.dep_ != "pobj":
                    continue
                for t in [p] + list(p.conjuncts):
                    for cm in st.by_token.get(t.i, ()):
                        cmm = st.mentions[cm]
                        if cmm.actor.kind in ("country", "igo") and not cmm.is_location:
                            extra.append(cm)
    return extra


def upgrade_unknown(st: DocMentions, srcs: list[int]) -> list[int]:
    """'Foreign ministers from Armenia and Azerbaijan': an unknown-country actor whose phrase
    names countries with of/from becomes one actor per country, keeping its sector."""
    out = []
    for a in srcs:
        m = st.mentions[a]
        if m.actor.code != UNKNOWN:
            out.append(a)
            continue
        extra = _country_parts(st.doc[m.start : m.end].root, st)
        if not extra:
            out.append(a)
            continue
        for cm in extra:
            cmm = st.mentions[cm]
            act = dataclasses.replace(cmm.actor, sector=m.actor.sector or cmm.actor.sector, text=m.text)
            nm = dataclasses.replace(m, actor=act, confidence=min(1.0, cmm.confidence) * 0.9, antecedent=a)
            out.append(st.add(nm))
    return out


# ---------------------------------------------------------------------- recipient fall-backs
def _followed(ch) -> bool:
    return ch.dep_ in DEEP_DEPS and not (ch.dep_ == "prep" and ch.lower_ in LOCATIVE_PREPS)


def deep_target(st: DocMentions, c: Candidate, srcs: list[int]) -> list[int]:
    """Recipient nested deeper in the trigger's (or light verb's) object phrases: 'curbs on
    travellers from China', 'work with the administration of President-elect Trump'."""
    doc = st.doc
    starts = [doc[c.head]]
    if c.verb != c.head:
        starts.append(doc[c.verb])
    src_set = set(srcs)
    src_codes = {country_of(st.mentions[a]) for a in srcs}

    def eligible(mi: int) -> bool:
        m = st.mentions[mi]
        return mi not in src_set and country_of(m) not in src_codes and not m.is_location and st.known(mi)

    best, best_d = [], 99
    for start in starts:
        stack = [(ch, 1) for ch in start.children if _followed(ch)]
        while stack:
            t, d = stack.pop()
            if d > 5 or d >= best_d:
                continue
            if t.i in st.by_token:
                ms = [mi for mi in st.by_token[t.i] if eligible(mi)]
                if ms:
                    best, best_d = ms, d
                    continue
            stack.extend((ch, d + 1) for ch in t.children if _followed(ch))
    return best


def _place_window(doc, c: Candidate) -> set[int]:
    """Tokens near the attacked object's heads and the heads of the clause's place phrases."""
    heads = [doc[i] for i in c.targets]
    for t in (doc[c.head], doc[c.verb]):
        heads += [
            p
            for ch in t.children
            if ch.dep_ == "prep" and ch.lower_ in PLACE_PREPS
            for p in ch.children
            if p.dep_ == "pobj"
        ]
    idx: set[int] = set()
    for h in heads:
        idx |= {t.i for t in h.subtree if abs(t.i - h.i) <= 6}
    return idx


def _place_spans(st: DocMentions, idx: set[int]) -> list:
    """GPE/LOC entities in the window, then untagged proper-noun runs (the small parser often
    leaves city names untagged: "attacked Odesa")."""
    doc = st.doc
    ents = [e for e in doc.ents if e.label_ in ("GPE", "LOC") and any(t.i in idx for t in e)]
    taken = {i for m in st.mentions for i in range(m.start, m.end)} | {t.i for e in ents for t in e}
    i = min(idx, default=0)
    while idx and i <= max(idx):
        if i in idx and i not in taken and doc[i].pos_ == "PROPN" and doc[i].ent_type_ in ("", "GPE", "LOC"):
            j = i
            while j + 1 in idx and j + 1 not in taken and doc[j + 1].pos_ == "PROPN":
                j += 1
            ents.append(doc[i : j + 1])
            i = j + 1
        else:
            i += 1
    return ents


def place_target(st: DocMentions, c: Candidate, src_codes: set[str]) -> list[int]:
    """A place (spaCy GPE/LOC entity) in the attacked object's phrase or in a locative phrase
    of the trigger's clause, geocoded to a country other than the attacker's: a new country
    mention appended to the mentions (its index returned)."""
    ents = _place_spans(st, _place_window(st.doc, c))
    if not ents:
        return []
    resolver = PlaceResolver()
    for e in ents:
        loc = resolver.lookup(e.text)
        code = loc.country_code if loc else None
        if not code or code in src_codes:
            continue
        actor = Actor(code=code, sector=None, text=e.text, kind="country", country=code)
        mention = Mention(
            start=e.start,
            end=e.end,
            start_char=e.start_char,
            end_char=e.end_char,
            text=e.text,
            actor=actor,
            confidence=0.7,
        )
        return [st.add(mention)]
    return []


def _refers_back(tok, verb) -> bool:
    """The reaction's object (if any) refers to what came before ('the move', 'it')."""
    objs = [ch for ch in list(tok.children) + list(verb.children) if ch.dep_ in ("dobj", "nsubjpass")]
    return not objs or all(
        any(g.lower_ in ANAPHORIC_DETS for g in o.children) or o.lemma_.lower() in ANAPHORIC_NOUNS
        for o in objs
    )


def discourse_target(
    st: DocMentions, c: Candidate, si: int, recent: list[tuple[int, int, int | None]], src_codes: set[str]
) -> list[int]:
    """A reaction with no recipient in its sentence ('Beijing condemned the move', 'Mexico
    rejected the threat', 'Canada vowed to retaliate') answers the latest event of the last
    two sentences involving another party: its actor is the recipient."""
    if not _refers_back(st.doc[c.head], st.doc[c.verb]):
        return []  # the object is a fresh thing, not a reference to what came before
    for s_i, a, b in reversed(recent):
        if s_i >= si:
            continue
        if si - s_i > 2:
            break
        ca = country_of(st.mentions[a])
        if ca not in src_codes and ca != UNKNOWN:
            return [a]
        if b is not None and ca in src_codes:
            cb = country_of(st.mentions[b])
            if cb not in src_codes and cb != UNKNOWN:
                return [b]
    return []
