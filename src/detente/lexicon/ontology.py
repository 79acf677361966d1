"""PLOVER / CAMEO ontology tables: event types, quad classes, CAMEO codes, Goldstein and PLOVER scores.

Data files (package data, tab-separated, '#' comments):
  data/plover_types.tsv  one row per PLOVER type: quad, penta, default CAMEO code, Goldstein, PLOVER score
  data/cameo_plover.tsv  every CAMEO code -> PLOVER event, mode, context, Goldstein score
  data/plover_mode_scores.tsv  PLOVER score by (event, mode), where the mode changes it
  data/triggers.tsv      trigger lexicon used by coding.events.finder.EventFinder
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from detente.model import PLOVER_TYPES
from detente.resources import read_table

QUAD_NAMES = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}
PENTA_NAMES = {
    0: "statement",
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}
# PLV data merges CONCEDE and RETREAT
PLV_MERGE = {"CONCEDE": "YIELD", "RETREAT": "YIELD"}

# PLOVER conflict-cooperation scores by (event, mode), PLOVER manual draft 0.8 table.
MODE_SCORES = {(r["event"], r["mode"]): float(r["score"]) for r in read_table("plover_mode_scores.tsv")}


@dataclass(frozen=True)
class PloverType:
    event: str
    quad: int
    penta: int
    default_cameo: str
    goldstein: float
    plover_score: float
    requires_recipient: bool
    modes: tuple[str, ...]
    definition: str


@dataclass(frozen=True)
class CameoCode:
    code: str
    name: str
    event: str | None
    mode: str | None
    context: tuple[str, ...]
    goldstein: float


@dataclass(frozen=True)
class Trigger:
    """One lexicon entry. `pattern` is a lemma or a space-separated lemma sequence; a trailing
    `+prep` part (e.g. "call+for") means the verb must govern that particle/preposition."""

    pattern: str
    pos: str  # VERB | NOUN | ANY
    event: str
    mode: str | None
    context: tuple[str, ...]
    cameo: str
    weight: float = 1.0


def _ctx(s: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (s or "").replace(",", ";").split(";") if x.strip())


@dataclass
class Ontology:
    types: dict[str, PloverType] = field(default_factory=dict)
    cameo: dict[str, CameoCode] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)

    @classmethod
    def load(cls) -> Ontology:
        return _load_default()

    # -- lookups
    def quad(self, event: str) -> int:
        return self.types[event].quad

    def goldstein(self, cameo_code: str | None, event: str | None = None) -> float | None:
        if cameo_code and cameo_code in self.cameo:
            return self.cameo[cameo_code].goldstein
        if event in self.types:
            return self.types[event].goldstein
        return None

    def plover_score(self, event: str, mode: str | None = None) -> float:
        if mode and (event, mode) in MODE_SCORES:
            return float(MODE_SCORES[(event, mode)])
        return float(self.types[event].plover_score)

    def default_cameo(self, event: str) -> str:
        return self.types[event].default_cameo

    def cameo_to_plover(self, code: str) -> CameoCode | None:
        while code and code not in self.cameo:
            code = code[:-1]
        return self.cameo.get(code)

    @staticmethod
    def penta_of_cameo(code: str | None) -> int | None:
        """ConfliBERT penta class of a CAMEO code (by its two-digit root)."""
        if not code:
            return None
        root = int(code[:2])
        if root <= 2:
            return 0
        if root <= 5:
            return 1
        if root <= 8:
            return 2
        if root <= 13:
            return 3
        return 4

    def penta(self, event: str, cameo_code: str | None = None) -> int:
        p = self.penta_of_cameo(cameo_code)
        return p if p is not None else self.types[event].penta


@lru_cache(maxsize=1)
def _load_default() -> Ontology:
    onto = Ontology()
    for r in read_table("plover_types.tsv"):
        onto.types[r["event"]] = PloverType(
            event=r["event"],
            quad=int(r["quad"]),
            penta=int(r["penta"]),
            default_cameo=r["default_cameo"],
            goldstein=float(r["goldstein"]),
            plover_score=float(r["plover_score"]),
            requires_recipient=r["requires_recipient"] == "yes",
            modes=tuple(m for m in r["modes"].split(",") if m),
            definition=r["definition"],
        )
    for r in read_table("cameo_plover.tsv"):
        onto.cameo[r["cameo"]] = CameoCode(
            code=r["cameo"],
            name=r["name"],
            event=r["event"] or None,
            mode=r["mode"] or None,
            context=_ctx(r["context"]),
            goldstein=float(r["goldstein"]),
        )
    for r in read_table("triggers.tsv"):
        onto.triggers.append(
            Trigger(
                pattern=r["pattern"].strip().lower(),
                pos=r["pos"].strip() or "ANY",
                event=r["event"].strip(),
                mode=r["mode"].strip() or None,
                context=_ctx(r["context"]),
                cameo=r["cameo"].strip(),
                weight=float(r.get("weight") or 1.0),
            )
        )
    missing = set(PLOVER_TYPES) - set(onto.types)
    if missing:
        raise RuntimeError(f"plover_types.tsv lacks {sorted(missing)}")
    return onto


def load_ontology() -> Ontology:
    return _load_default()
