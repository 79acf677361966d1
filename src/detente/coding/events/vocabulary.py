"""The word classes and event-type classes the event rules use.

Word lists are data (data/lexicon/<name>.txt, read once by `detente.lexicon.words`); the flag words
come from data/event_modifiers.tsv. What stays here are small sets of PLOVER type names, which are
part of the rules themselves."""

from __future__ import annotations

import re
from collections import defaultdict

from detente.lexicon import word_sequence, words
from detente.resources import read_table

REPORTING = words("reporting_verbs")
NO_COMMENT = words("no_comment_verbs")
DENIAL = words("denial_verbs")
INTENT_AGREE = words("intention_heads")
LIGHT_VERBS = words("light_verbs")
SYMMETRIC_LEMMAS = words("symmetric_lemmas")
VICTIM_VERBS = words("victim_verbs")
VERBAL_ATTACK = words("verbal_attack_verbs")
PLACE_PREPS = words("attack_place_prepositions")
ANAPHORIC_DETS = words("anaphoric_determiners")
ANAPHORIC_NOUNS = words("anaphoric_nouns")
PAIRWISE_LEMMAS = words("pairwise_lemmas")
LOCATIVE_PREPS = words("circumstance_prepositions")
NON_AGENT = words("non_agent_heads")
AGENT_HEADS = words("agent_heads")
OBJECT_CONTROL = words("object_control_verbs")
DEEP_DEPS = words("deep_target_dependencies")
TARGET_PREPS = words("target_prepositions")
# rank of a recipient's preposition: the first preposition of the file wins
PREP_RANK = {p: k for k, p in enumerate(word_sequence("target_prepositions"))}
SOURCE_PREPS = {"of", "from"}


def _load_modifiers() -> dict[str, set[str]]:
    """Flag words by class from data/event_modifiers.tsv (see that file's header)."""
    out: dict[str, set[str]] = defaultdict(set)
    for row in read_table("event_modifiers.tsv"):
        out[row["class"]].add(row["word"].lower())
    return out


_MODIFIERS = _load_modifiers()
FUTURE_HEADS = _MODIFIERS["future_head"]  # plan, intend, expect, schedule, set, due ...
MODAL_HYPO = _MODIFIERS["modal_hypo"]  # should, could, would, might, may, must, ought
MODAL_FUTURE = _MODIFIERS["modal_future"]  # will, shall, 'll, wo
FUTURE_TIME = _MODIFIERS["future_time"]  # tomorrow, next (week), upcoming, later
HYPO_MARKS = _MODIFIERS["hypo_mark"]  # if, unless
NEG_ADVERBS = _MODIFIERS["neg_adverb"]  # never, "no longer"
REFUSAL = _MODIFIERS["neg_head"]  # refuse, decline, reject, fail, oppose, avoid, stop
HYPO_HEADS = _MODIFIERS["hypo_head"]  # urge, threaten, warn, ask, demand, consider ...

UNKNOWN = "---"
YEAR_RE = re.compile(r"^(1[89]\d\d|20\d\d)$")
# triggers that govern (embed) another event and absorb it
EMBEDDING = {"THREATEN", "REQUEST", "AGREE", "REJECT"}
SYMMETRIC_TYPES = {"CONSULT", "COOPERATE"}
# Event types only political/state actors perform, and the private sectors that cannot.
STATE_ONLY_TYPES = {"CONSULT", "AID", "MOBILIZE", "SANCTION"}
PRIVATE_SECTORS = {"CVL", "REF", "BUS", "MED", "EDU", "HLH", "LAB", "REL", "SPT"}
# Event types that are coded without a recipient (deploy, withdraw, protest, arrest, attack...).
UNTARGETED_TYPES = {"MOBILIZE", "RETREAT", "PROTEST", "COERCE", "ASSAULT"}
# Types whose recipient may be a place the actor acts upon ("struck targets near Kharkiv").
LOCATION_TARGET_TYPES = {"ASSAULT", "MOBILIZE"}
# Reactions whose recipient is often only implied by the previous sentence ("rejected the proposal").
ANAPHORIC_TYPES = {"ACCUSE", "REJECT", "SUPPORT", "CONCEDE", "THREATEN", "SANCTION"}
CONFLICT_EVENTS = {"SANCTION", "ASSAULT", "COERCE", "MOBILIZE"}
COOP_EVENTS = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT"}
