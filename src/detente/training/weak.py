"""Weakly labelled extra training data for the relation classifier (used by train.py, never at run time).

Two sources, both added to the *training* folds only and down-weighted against PLV rows:

  * `synthetic_rows()` -- templated sentences written for this project (the verb phrases, actors and
    tails below are our own wording, derived from the PLOVER event/mode definitions), e.g.
    "<s>The rebels</s> shelled <t>an army outpost</t> near the border." -> ASSAULT.
  * `cameo_rows(cameo_csv, cameo2plover)` -- the CAMEO code names (e.g. "Demand economic aid") turned
    into a marked sentence "<s>A</s> demanded economic aid from <t>B</t>" and mapped to a PLOVER root
    class with CAMEO2PLOVER (CONCEDE/RETREAT -> YIELD). Read from the shared data by path.

Each row is (label, marked_sentence) with <s>..</s>/<t>..</t> marks, as in PLV files.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

SOURCES = [
    "Russia",
    "The rebels",
    "The government",
    "Chinese officials",
    "The United Nations",
    "Police",
    "The army",
    "Iran",
    "The opposition party",
    "Kenyan authorities",
    "The president",
    "Protesters",
    "NATO",
    "The European Union",
    "Militants",
    "The prime minister",
    "Israel",
    "Turkish forces",
    "The ministry of defence",
    "Colombia",
    "The union",
    "Local activists",
    "The foreign minister",
    "Pakistan",
    "The junta",
    "Indian security forces",
    "Brazil",
    "The World Bank",
    "Syrian troops",
    "Japan",
]
TARGETS = [
    "Ukraine",
    "the government",
    "the rebels",
    "the United States",
    "the protesters",
    "villagers",
    "the opposition",
    "Germany",
    "the military junta",
    "Nigeria",
    "aid workers",
    "the company",
    "North Korea",
    "the prime minister",
    "the refugees",
    "Taiwan",
    "the police",
    "Venezuela",
    "the ruling party",
    "insurgents",
    "journalists",
    "Egypt",
    "the regime",
    "Ethiopian officials",
    "the separatists",
    "Mexico",
    "the students",
    "the border town",
    "Afghanistan",
    "the ministry",
]
TAILS = [
    "",
    "",
    "",
    " on Monday",
    " last week",
    " on Tuesday",
    " in the capital",
    " near the border",
    " earlier this month",
    ", officials said",
    ", according to local media",
    " amid rising tensions",
]

# {S} source slot, {T} target slot; the text between is our own phrasing of the PLOVER definitions
TEMPLATES: dict[str, list[str]] = {
    "ACCUSE": [
        "{S} accused {T} of corruption",
        "{S} condemned {T} for the crackdown",
        "{S} criticised {T} over its handling of the crisis",
        "{S} denounced {T}",
        "{S} blamed {T} for the attack",
        "{S} filed a lawsuit against {T}",
        "{S} sued {T}",
        "{S} launched an investigation into {T}",
        "{S} charged that {T} had violated the accord",
        "{S} lodged a formal complaint against {T}",
        "{S} slammed {T} as irresponsible",
        "{S} found {T} guilty of fraud",
        "{S} disapproved of {T}'s decision",
        "{S} accused {T} of war crimes",
        "{S} called {T} a threat to peace",
    ],
    "AGREE": [
        "{S} agreed to cooperate with {T}",
        "{S} signed a deal with {T}",
        "{S} promised to work with {T}",
        "{S} offered to mediate between {T} and its rivals",
        "{S} pledged to reopen talks with {T}",
        "{S} reached an agreement with {T}",
        "{S} agreed to hold talks with {T}",
        "{S} said it was willing to negotiate with {T}",
        "{S} accepted an invitation from {T}",
        "{S} invited {T} to visit",
        "{S} committed to a ceasefire with {T}",
        "{S} vowed to restore ties with {T}",
        "{S} agreed to provide assistance to {T}",
        "{S} expressed readiness to meet {T}",
    ],
    "AID": [
        "{S} sent humanitarian aid to {T}",
        "{S} delivered food and medicine to {T}",
        "{S} provided military assistance to {T}",
        "{S} granted asylum to {T}",
        "{S} donated millions of dollars to {T}",
        "{S} supplied weapons to {T}",
        "{S} shipped vaccines to {T}",
        "{S} gave financial aid to {T}",
        "{S} deployed peacekeepers to protect {T}",
        "{S} airlifted relief supplies to {T}",
        "{S} extended a loan to {T}",
        "{S} handed over tents and blankets to {T}",
        "{S} offered shelter to {T}",
        "{S} funded reconstruction projects for {T}",
    ],
    "ASSAULT": [
        "{S} shelled {T}",
        "{S} attacked {T}",
        "{S} bombed {T}",
        "{S} killed {T}",
        "{S} launched air strikes on {T}",
        "{S} ambushed {T}",
        "{S} fired rockets at {T}",
        "{S} opened fire on {T}",
        "{S} abducted {T}",
        "{S} kidnapped {T}",
        "{S} tortured {T}",
        "{S} assassinated {T}",
        "{S} stormed {T}",
        "{S} beat {T} with batons",
        "{S} clashed violently with {T}",
        "{S} detonated a car bomb targeting {T}",
        "{S} massacred {T}",
    ],
    "COERCE": [
        "{S} arrested {T}",
        "{S} detained {T}",
        "{S} deported {T}",
        "{S} expelled {T}",
        "{S} imposed a curfew on {T}",
        "{S} banned {T}",
        "{S} seized the assets of {T}",
        "{S} confiscated property belonging to {T}",
        "{S} blockaded {T}",
        "{S} occupied {T}",
        "{S} imposed sanctions on {T}",
        "{S} jailed {T}",
        "{S} declared martial law in {T}",
        "{S} censored {T}",
        "{S} raided the offices of {T}",
        "{S} placed {T} under house arrest",
    ],
    "CONSULT": [
        "{S} met {T}",
        "{S} held talks with {T}",
        "{S} visited {T}",
        "{S} spoke by telephone with {T}",
        "{S} hosted {T}",
        "{S} negotiated with {T}",
        "{S} discussed the crisis with {T}",
        "{S} consulted {T}",
        "{S} received {T} in the capital",
        "{S} mediated talks involving {T}",
        "{S} travelled to {T} for consultations",
        "{S} held a phone call with {T}",
        "{S} met with a delegation from {T}",
    ],
    "COOPERATE": [
        "{S} shared intelligence with {T}",
        "{S} held joint military exercises with {T}",
        "{S} conducted joint drills with {T}",
        "{S} shared evidence with {T}",
        "{S} trained soldiers of {T}",
        "{S} worked together with {T} on the investigation",
        "{S} extradited a suspect to {T}",
        "{S} exchanged information with {T}",
        "{S} launched a joint patrol with {T}",
        "{S} cooperated with {T} on trade",
        "{S} staged war games with {T}",
        "{S} handed documents over to {T}",
        "{S} teamed up with {T} to fight smuggling",
        "{S} carried out a joint operation with {T}",
    ],
    "MOBILIZE": [
        "{S} mobilised troops against {T}",
        "{S} put its forces on alert near {T}",
        "{S} remained on high alert in {T}",
        "{S} deployed tanks to the border with {T}",
        "{S} reinforced its troops along {T}",
        "{S} massed soldiers near {T}",
        "{S} increased its military presence in {T}",
        "{S} called up reservists to face {T}",
        "{S} raised the alert level of its police in {T}",
        "{S} moved warships toward {T}",
        "{S} beefed up security forces in {T}",
        "{S} paraded missiles as a show of force to {T}",
        "{S} stationed additional troops in {T}",
    ],
    "PROTEST": [
        "{S} protested against {T}",
        "{S} staged a demonstration against {T}",
        "{S} went on strike against {T}",
        "{S} boycotted {T}",
        "{S} marched against {T}",
        "{S} rallied outside the offices of {T}",
        "{S} began a hunger strike to protest {T}",
        "{S} took to the streets to denounce {T}",
        "{S} held a sit-in against {T}",
        "{S} blocked roads in protest at {T}",
        "{S} walked out of work in a dispute with {T}",
        "{S} picketed {T}",
        "{S} demonstrated outside {T}",
    ],
    "REJECT": [
        "{S} rejected {T}'s proposal",
        "{S} refused to meet {T}",
        "{S} turned down the offer from {T}",
        "{S} rebuffed {T}",
        "{S} declined to release prisoners held by {T}",
        "{S} vetoed the plan put forward by {T}",
        "{S} dismissed the demands of {T}",
        "{S} refused to negotiate with {T}",
        "{S} denied the request from {T}",
        "{S} defied {T}",
        "{S} said no to {T}",
        "{S} refused to cooperate with {T}",
        "{S} ruled out talks with {T}",
        "{S} snubbed {T}",
    ],
    "REQUEST": [
        "{S} asked {T} for help",
        "{S} urged {T} to end the violence",
        "{S} called on {T} to resign",
        "{S} demanded that {T} release the detainees",
        "{S} appealed to {T} for aid",
        "{S} requested assistance from {T}",
        "{S} pressed {T} to hold elections",
        "{S} begged {T} to reconsider",
        "{S} asked {T} to lift the sanctions",
        "{S} demanded an apology from {T}",
        "{S} urged {T} to return to talks",
        "{S} called for {T} to withdraw",
    ],
    "SANCTION": [
        "{S} cut diplomatic ties with {T}",
        "{S} recalled its ambassador from {T}",
        "{S} suspended aid to {T}",
        "{S} broke off negotiations with {T}",
        "{S} withdrew its peacekeepers from {T}",
        "{S} halted military assistance to {T}",
        "{S} expelled diplomats of {T}",
        "{S} downgraded relations with {T}",
        "{S} froze funding for {T}",
        "{S} pulled out of talks with {T}",
        "{S} severed relations with {T}",
        "{S} stopped economic assistance to {T}",
    ],
    "SUPPORT": [
        "{S} praised {T}",
        "{S} endorsed {T}",
        "{S} backed {T}",
        "{S} welcomed {T}'s decision",
        "{S} defended {T}",
        "{S} apologised to {T}",
        "{S} forgave {T}",
        "{S} recognised {T}",
        "{S} expressed support for {T}",
        "{S} voiced solidarity with {T}",
        "{S} signed a formal treaty with {T}",
        "{S} congratulated {T}",
        "{S} applauded {T}",
        "{S} established diplomatic relations with {T}",
    ],
    "THREATEN": [
        "{S} threatened {T}",
        "{S} threatened to attack {T}",
        "{S} warned {T} of military action",
        "{S} threatened sanctions against {T}",
        "{S} gave {T} an ultimatum",
        "{S} warned it would cut aid to {T}",
        "{S} threatened to expel {T}",
        "{S} vowed to retaliate against {T}",
        "{S} threatened to boycott {T}",
        "{S} warned {T} of severe consequences",
        "{S} threatened to break off relations with {T}",
        "{S} said it could strike {T}",
    ],
    "YIELD": [
        "{S} released {T}",
        "{S} freed {T}",
        "{S} withdrew its troops from {T}",
        "{S} declared a ceasefire with {T}",
        "{S} surrendered to {T}",
        "{S} eased restrictions on {T}",
        "{S} lifted the blockade of {T}",
        "{S} pulled its forces out of {T}",
        "{S} allowed inspectors into {T}",
        "{S} returned the seized vessel to {T}",
        "{S} gave in to the demands of {T}",
        "{S} lifted sanctions on {T}",
        "{S} conceded defeat to {T}",
        "{S} handed back territory to {T}",
        "{S} allowed aid convoys to reach {T}",
        "{S} retreated from {T}",
    ],
}


def _mark(template: str, src: str, tgt: str, tail: str) -> str:
    s = template.replace("{S}", f"<s>{src}</s>").replace("{T}", f"<t>{tgt}</t>")
    return s + tail + "."


def synthetic_rows(per_template: int = 3, seed: int = 0) -> list[tuple[str, str]]:
    """Deterministic (label, marked sentence) rows: `per_template` random fillings of each template."""
    rng = random.Random(seed)
    out = []
    for lab in sorted(TEMPLATES):
        for tpl in TEMPLATES[lab]:
            for _ in range(per_template):
                s = rng.choice(SOURCES)
                t = rng.choice([x for x in TARGETS if x.lower() != s.lower()])
                out.append((lab, _mark(tpl, s, t, rng.choice(TAILS))))
    return out


CONNECTORS = [
    ", while {B}",
    " and {B}",
    "; meanwhile, {B}",
    ", as {B}",
    ", a day after {B}",
    ". Separately, {B}",
    ", even as {B}",
    " before {B}",
]


def _lower_first(clause: str) -> str:
    """'The army ...' -> 'the army ...' inside a sentence (marks kept)."""
    for prefix in ("The ", "<s>The "):
        if clause.startswith(prefix):
            return clause.replace("The ", "the ", 1)
    return clause


def compound_rows(per_class: int = 12, seed: int = 2) -> list[tuple[str, str]]:
    """Two events of different types in one sentence, each pair marked in turn: the same words
    with a different marked pair must get a different label. Teaches the relation reader to read
    the marked pair, not the sentence's overall event (news sentences often hold several)."""
    rng = random.Random(seed)
    labels = sorted(TEMPLATES)
    out = []
    for lab in labels:
        for _ in range(per_class):
            other = rng.choice([x for x in labels if x != lab])
            clauses = []
            for lb in (lab, other):
                tpl = rng.choice(TEMPLATES[lb])
                src = rng.choice(SOURCES)
                tgt = rng.choice([x for x in TARGETS if x.lower() != src.lower()])
                clauses.append((lb, tpl, src, tgt))
            if clauses[0][2] == clauses[1][2]:
                continue
            first = rng.random() < 0.5
            a, b = (clauses[0], clauses[1]) if first else (clauses[1], clauses[0])
            join = rng.choice(CONNECTORS)
            for marked in (0, 1):
                parts = []
                for k, (lb, tpl, src, tgt) in enumerate((a, b)):
                    if k == marked:
                        txt = tpl.replace("{S}", f"<s>{src}</s>").replace("{T}", f"<t>{tgt}</t>")
                    else:
                        txt = tpl.replace("{S}", src).replace("{T}", tgt)
                    parts.append(txt)
                second = parts[1] if join.startswith(".") else _lower_first(parts[1])
                out.append(((a, b)[marked][0], parts[0] + join.replace("{B}", second) + "."))
    return out


_IRREG = {
    "bring": "brought",
    "give": "gave",
    "find": "found",
    "make": "made",
    "hold": "held",
    "meet": "met",
    "seize": "seized",
    "use": "used",
    "fight": "fought",
    "break": "broke",
    "host": "hosted",
    "share": "shared",
    "engage": "engaged",
    "ease": "eased",
    "receive": "received",
    "decline": "declined",
    "reduce": "reduced",
    "praise": "praised",
    "forgive": "forgave",
    "defy": "defied",
    "occupy": "occupied",
    "apolgize": "apologized",
    "apologize": "apologized",
    "rally": "rallied",
    "carry": "carried",
    "employ": "employed",
    "destroy": "destroyed",
    "obstruct": "obstructed",
    "detonate": "detonated",
    "sign": "signed",
    "torture": "tortured",
    "threaten": "threatened",
    "demand": "demanded",
    "accede": "acceded",
    "retreat": "retreated",
    "return": "returned",
    "stop": "stopped",
    "expel": "expelled",
    "halt": "halted",
    "violate": "violated",
    "dispute": "disputed",
}
# preposition placing the target after the CAMEO name's words, by PLOVER class
_PREP = {
    "ACCUSE": "against",
    "AGREE": "with",
    "AID": "to",
    "ASSAULT": "against",
    "COERCE": "against",
    "CONSULT": "with",
    "COOPERATE": "with",
    "MOBILIZE": "against",
    "PROTEST": "against",
    "REJECT": "from",
    "REQUEST": "from",
    "SANCTION": "against",
    "SUPPORT": "for",
    "THREATEN": "against",
    "YIELD": "to",
}


def _past(verb: str) -> str:
    v = verb.lower()
    if v in _IRREG:
        return _IRREG[v]
    if v.endswith("e"):
        return v + "d"
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        return v[:-1] + "ied"
    return v + "ed"


def read_cameo2plover(path) -> dict[str, str]:
    """CAMEO code -> PLOVER root (CONCEDE/RETREAT -> YIELD)."""
    out = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"\s*(\d{2,4})\s*:\s*([A-Z]+)", line)
        if m:
            ev = m.group(2)
            out[m.group(1)] = "YIELD" if ev in ("CONCEDE", "RETREAT") else ev
    return out


def cameo_rows(cameo_csv, cameo2plover, seed: int = 1) -> list[tuple[str, str]]:
    """CAMEO code names as marked sentences with the PLOVER class of the code (codes without a
    PLOVER root class, e.g. statements, are skipped)."""
    mapping = read_cameo2plover(cameo2plover)
    rng = random.Random(seed)
    out = []
    with Path(cameo_csv).open(encoding="utf-8", errors="replace", newline="") as fh:
        for r in csv.DictReader(fh):
            code = (r.get("code") or "").strip()
            root = (r.get("root_code") or "").strip()
            if root.isdigit() and int(root) < 10:
                code = "0" + code  # the CSV drops the leading zero of roots 01-09
            lab = mapping.get(code)
            name = (r.get("name") or "").strip()
            if not lab or not name or name.isupper() or len(code) < 3:
                continue
            words = re.sub(r"\(.*?\)", "", name).replace(",", " or").split()
            if not words:
                continue
            phrase = " ".join([_past(words[0])] + [w.lower() for w in words[1:]])
            s = rng.choice(SOURCES)
            t = rng.choice([x for x in TARGETS if x.lower() != s.lower()])
            out.append((lab, f"<s>{s}</s> {phrase} {_PREP[lab]} <t>{t}</t>."))
    return out
