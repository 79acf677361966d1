"""Feed items and alert rules shared by the watch tests and the dashboard's watch-panel tests."""

from __future__ import annotations

import datetime as dt

TODAY = dt.date.today()

STORIES = {
    "cn-threat": (
        "China warns Washington over chip curbs",
        (
            "China threatened to impose sanctions on the United States after new chip curbs. "
            "The commerce ministry in Beijing said it would respond firmly to the export rules."
        ),
    ),
    "kharkiv": (
        "Russian shelling hits Kharkiv",
        (
            "Russian forces shelled the Ukrainian city of Kharkiv, killing four people. Regional "
            "officials said a school and several homes were damaged in the attack."
        ),
    ),
    "japan-phl": (
        "Japan and the Philippines sign pact",
        (
            "Japan and the Philippines signed a defence pact in Manila. The agreement allows "
            "troops of each country to train on the territory of the other."
        ),
    ),
}

RULES = """
rules:
  - name: usa-chn
    dyad: [USA, CHN]
    types: [THREATEN, SANCTION, ACCUSE]
    min_confidence: 0.7
  - name: ukraine-conflict
    actor: UKR
    quad: [4]
"""


def item(key, guid=None, link=None, text=None, date=None):
    title, body = STORIES[key]
    return {
        "guid": guid or key,
        "title": title,
        "text": text or body,
        "date": date or TODAY,
        "link": link or f"https://example.org/news/{key}",
    }
