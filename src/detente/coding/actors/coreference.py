"""Coreference: mentions that refer back to an earlier one (``Mention.antecedent`` = index in the
returned list of the earlier *full* mention; the Actor is copied with ``text`` = the new words).

* surname or other short alias of a person already mentioned ("Xi", "Putin"); risky short aliases
  (``~`` in people.tsv, e.g. "May", "Kim") resolve *only* this way (``pick_person``);
* surname of an unknown named person ("Mohammad Rezaei ... Rezaei said"; ``resolve_surname``);
* "the <title>" / "the <Country> <title>" with no name ("the Chinese leader", "the president"):
  most recent person mention whose role/title fits and whose country fits; without a country the
  match must be unambiguous (``title_antecedent``);
* pronouns he/him/his/she/her in subject, object or possessive position: the most recent person
  mention of compatible gender within the last three sentences (``resolve_pronoun``);
* "the two leaders" / "both presidents" / "the two countries" / "both sides": the last two distinct
  person (or, for countries/sides/nations/governments, any) actors (``resolve_two``): two Mention
  objects with the *same* token span, one per referent.
"""

from __future__ import annotations

from detente.coding.actors.matching import PRONOUN_GENDER, Item
from detente.coding.actors.state import DocState
from detente.coding.actors.tables import TITLE_ROLE_WORDS, TWO_ANY, TWO_PERSONS, ActorTables, Entry
from detente.lexicon import words

_PRONOUN_DEPS = words("actor_pronoun_dependencies")
_PLURAL_STATES = words("plural_state_nouns")
_LEADER_ROLES = words("leader_roles")


def resolve_pronoun(st: DocState, start: int, end: int) -> None:
    g = PRONOUN_GENDER[st.lows[start]]
    if st.doc[start].dep_ not in _PRONOUN_DEPS:
        return
    si = st.sent_index(start)
    for ref in reversed(st.person_refs):
        if st.sent_index(st.out[ref.mention].start) < si - 2:
            break
        if ref.gender is None or ref.gender == g:
            st.copy_from(ref.mention, start, end, 0.7)
            break


def resolve_surname(st: DocState, item: Item) -> None:
    mi = st.item_mention.get(item.ref)
    if mi is not None:
        st.copy_from(mi, item.start, item.end, 0.8)


def resolve_two(tables: ActorTables, st: DocState, kind: str, start: int, end: int) -> None:
    """ "the two leaders" (kind 2P) / "both sides" (2A): one mention per referent, same span."""
    states = kind == TWO_ANY and st.lows[end - 1] in _PLURAL_STATES
    picked = _last_two(tables, st, kind, states)
    if len(picked) != 2:
        return
    for idx in reversed(picked):
        a = st.out[idx].actor
        if states and a.kind == "person":  # "Putin and Xi ... the two countries"
            full = st.out[idx].antecedent if st.out[idx].antecedent is not None else idx
            st.add(start, end, tables.country_actor(a.country), 0.6, full)
        else:
            st.copy_from(idx, start, end, 0.6)


def _last_two(tables: ActorTables, st: DocState, kind: str, states: bool) -> list[int]:
    """Indices of the last two distinct referents fitting a "two" phrase, latest first."""
    picked: list[int] = []
    keys: set = set()
    for idx in range(len(st.out) - 1, -1, -1):
        a = st.out[idx].actor
        if kind == TWO_PERSONS and a.kind != "person":
            continue
        if kind == TWO_ANY and a.kind == "unknown":
            continue
        if states:  # "the two countries" are states, never the UN or a group
            c = a.country if a.kind == "person" else a.code
            if a.kind not in ("country", "person") or c not in tables.country_names:
                continue
            key = ("country", c)
        else:
            key = (a.kind, a.name if a.kind == "person" else a.code)
        if key in keys:
            continue
        keys.add(key)
        picked.append(idx)
        if len(picked) == 2:
            break
    return picked


def pick_person(tables: ActorTables, entry: Entry, st: DocState) -> str | None:
    """The person a name/alias match means: the latest one already mentioned, else the only one
    (or the only one in office on the story date); None for a doc-only alias not yet mentioned."""
    pids = entry.key
    seen = [p for p in pids if p in st.person_full]
    if seen:
        return max(seen, key=lambda p: st.person_full[p])
    if entry.doc_only:
        return None
    if len(pids) == 1:
        return pids[0]
    active = [p for p in pids if tables.person_active(p, st.date)]
    if len(active) == 1:
        return active[0]
    return None


def title_antecedent(title: str, country: str | None, st: DocState) -> int | None:
    """The mention "the <title>" refers to: the latest person whose role fits (and whose country
    fits, when the phrase names one); without a country only an unambiguous one."""
    if title not in TITLE_ROLE_WORDS:
        return None
    fits = TITLE_ROLE_WORDS[title]
    out = st.out
    cands = []
    for ref in reversed(st.person_refs):
        idx = ref.mention
        if country and ref.country != country and out[idx].actor.code != country:
            continue
        r = (ref.role or "").lower()
        if fits is None:
            ok = any(w in r for w in _LEADER_ROLES) or out[idx].actor.sector in ("REB", "UAF")
        else:
            ok = any(w in r for w in fits)
        if ok:
            cands.append(idx)
    if not cands:
        return None
    if country:
        return cands[0]
    names = {out[i].actor.name for i in cands}
    return cands[0] if len(names) == 1 else None
