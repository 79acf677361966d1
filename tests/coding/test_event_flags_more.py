"""Event modifiers (negated / hypothetical / future / historical) and attack recipients given by
the attacked place, through the real pipeline's rule path (Coder(rules_only=True): spaCy + actors +
events + dates). The learned decision takes its flags from this path (tests/coding/test_decision.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from detente.model import Document

STORY = dt.date(2025, 6, 15)


@pytest.fixture(scope="module")
def run(rule_coder):
    def _run(text, date=STORY):
        return rule_coder.code(Document(id="t", text=text, date=date))

    return _run


def _find(evs, actor, event, recipient=None):
    return [
        e
        for e in evs
        if e.actor[0].code == actor
        and (event is None or e.event == event)
        and (recipient is None or (e.recipient and e.recipient[0].code == recipient))
    ]


# ---------------------------------------------------------------- future
@pytest.mark.parametrize(
    "text,actor,event,recipient",
    [
        ("The Italian prime minister will visit Tunisia next week.", "ITA", "CONSULT", "TUN"),
        ("Poland is set to host the Lithuanian president on Friday.", "POL", "CONSULT", "LTU"),
        ("Vietnam is scheduled to sign a defence accord with Australia next month.", "VNM", None, "AUS"),
        ("The Dutch government intends to impose sanctions on Belarus.", "NLD", "SANCTION", "BLR"),
        ("The Chilean president will telephone his Argentine counterpart tomorrow.", "CHL", "CONSULT", "ARG"),
    ],
)
def test_future_flag(run, text, actor, event, recipient):
    evs = _find(run(text), actor, event, recipient)
    assert evs, [(e.actor[0].code, e.event, e.recipient) for e in run(text)]
    assert all(e.flags["future"] and not e.flags["negated"] for e in evs)


def test_plan_to_meet_is_agree_future(run):
    evs = _find(run("Brazil plans to meet Argentina to discuss the river dispute."), "BRA", "AGREE", "ARG")
    assert evs and evs[0].flags["future"]


def test_intention_to_sanction_is_not_agreement(run):
    evs = run("The Dutch government intends to impose sanctions on Belarus.")
    assert not _find(evs, "NLD", "AGREE")


def test_past_event_is_not_future(run):
    evs = _find(run("The Italian prime minister visited Tunisia last week."), "ITA", "CONSULT", "TUN")
    assert evs and not any(e.flags["future"] for e in evs)


# ---------------------------------------------------------------- hypothetical
@pytest.mark.parametrize(
    "text,actor,event,recipient",
    [
        ("Norway could impose sanctions on Iran.", "NOR", "SANCTION", "IRN"),
        ("Chile should expel the Peruvian ambassador, a senator said.", "CHL", None, "PER"),
        ("If Serbia attacks Kosovo, NATO will respond.", "SRB", "ASSAULT", "XKX"),
    ],
)
def test_hypothetical_flag(run, text, actor, event, recipient):
    evs = _find(run(text), actor, event, recipient)
    assert evs and all(e.flags["hypothetical"] for e in evs)


def test_nominal_attack_as_subject_of_would_is_hypothetical(run):
    # reported 'would' is usually the future of the past, but a nominal event that is the
    # subject of the 'would' clause is a supposition
    evs = run("Egyptian officials said an Israeli attack on Lebanon would trigger a wider war.")
    evs = _find(evs, "ISR", "ASSAULT", "LBN")
    assert evs and all(e.flags["hypothetical"] and not e.flags["future"] for e in evs)


def test_urged_and_threatened_acts_are_absorbed(run):
    evs = run("Germany urged Hungary to lift its veto.")
    assert _find(evs, "DEU", "REQUEST", "HUN")
    assert not [e for e in evs if e.actor[0].code == "HUN" and not e.flags["hypothetical"]]
    evs = run("Pakistan threatened to strike Afghanistan.")
    assert _find(evs, "PAK", "THREATEN", "AFG")
    assert not [e for e in evs if e.event == "ASSAULT" and not e.flags["hypothetical"]]


# ---------------------------------------------------------------- negated
@pytest.mark.parametrize(
    "text,actor,event,recipient",
    [
        ("Morocco did not sanction Algeria.", "MAR", "SANCTION", "DZA"),
        ("Sweden no longer supports Turkey.", "SWE", "SUPPORT", "TUR"),
        ("Ecuador has never recognised Kosovo.", "ECU", "SUPPORT", "XKX"),
        ("Bolivia failed to reach a deal with Chile.", "BOL", None, "CHL"),
    ],
)
def test_negated_flag(run, text, actor, event, recipient):
    evs = _find(run(text), actor, event, recipient)
    assert evs and all(e.flags["negated"] for e in evs)


def test_denied_attack_gives_reject_only(run):
    # documented convention (events.py): a denied act is not coded; the denial is the REJECT
    evs = run("Russia denied attacking Ukrainian ports.")
    assert _find(evs, "RUS", "REJECT", "UKR")
    assert not _find(evs, "RUS", "ASSAULT")


def test_possessive_in_reported_speech_is_the_speaker(run):
    evs = run("The Thai army said its troops did not shell Cambodian villages.")
    evs = _find(evs, "THA", "ASSAULT", "KHM")
    assert evs and all(e.flags["negated"] for e in evs)


def test_refusal_to_meet_is_reject_not_negated_meeting(run):
    evs = run("Japan refused to meet China.")
    assert _find(evs, "JPN", "REJECT", "CHN")
    assert not _find(evs, "JPN", "CONSULT")


# ---------------------------------------------------------------- historical
def test_historical_against_story_date(run):
    evs = _find(run("In 2014, Russia annexed Crimea from Ukraine."), "RUS", None, "UKR")
    assert evs and all(e.flags["historical"] for e in evs)
    evs = _find(run("Last year, Israel bombed Syrian airports."), "ISR", "ASSAULT", "SYR")
    assert evs and all(e.flags["historical"] for e in evs)
    evs = _find(run("Israel bombed Syrian airports on Tuesday."), "ISR", "ASSAULT", "SYR")
    assert evs and not any(e.flags["historical"] for e in evs)


# ---------------------------------------------------------------- recipients
@pytest.mark.parametrize(
    "text,actor,recipient",
    [
        ("Russian drones attacked Odesa on Tuesday.", "RUS", "UKR"),
        ("Russian rockets struck power plants in the Kharkiv region overnight.", "RUS", "UKR"),
        ("Ukrainian port attacked by Russian drones.", "RUS", "UKR"),
        ("Russian missiles hit Kyiv overnight.", "RUS", "UKR"),
    ],
)
def test_attack_recipient_from_place(run, text, actor, recipient):
    assert _find(run(text), actor, "ASSAULT", recipient)


def test_attack_on_own_territory_gets_no_foreign_recipient(run):
    evs = _find(run("Russian artillery shelled Belgorod."), "RUS", "ASSAULT")
    assert all(not e.recipient or e.recipient[0].code == "RUS" for e in evs)


def test_phone_call_versus_naming(run):
    assert _find(
        run("The Kenyan president called Ethiopia's prime minister on Monday."), "KEN", "CONSULT", "ETH"
    )
    evs = run("Serbia called the vote in Kosovo a provocation.")
    assert not _find(evs, "SRB", "CONSULT")
