"""Small synthetic corpora for the scale, resume and near-duplicate tests (our own sentences)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

COUNTRIES = [
    "France",
    "Germany",
    "Japan",
    "China",
    "Russia",
    "Ukraine",
    "India",
    "Pakistan",
    "Brazil",
    "Kenya",
    "Egypt",
    "Turkey",
    "Canada",
    "Mexico",
    "Iran",
    "Israel",
]
CITIES = ["Geneva", "Paris", "Tokyo", "Nairobi", "Cairo", "Ankara", "Ottawa", "Vienna"]
TEMPLATES = [
    "{a}'s foreign minister met {b}'s foreign minister in {city} on Monday.",
    "{a} accused {b} of violating the ceasefire near the border.",
    "{a} imposed sanctions on {b} over the disputed election.",
    "{a} sent humanitarian aid to {b} after the floods.",
    "Police in {a} arrested dozens of protesters outside the parliament.",
    "{a} and {b} signed a trade agreement in {city}.",
    "{a} threatened to expel {b}'s ambassador.",
    "The weather in {city} was mild and sunny for most of the week.",
]
FILLER = (
    "Officials said talks would continue later this month, and analysts expect further "
    "statements from both governments in the coming days."
)


def story(i: int, rng: random.Random) -> dict:
    a, b = rng.sample(COUNTRIES, 2)
    city = rng.choice(CITIES)
    t1 = rng.choice(TEMPLATES).format(a=a, b=b, city=city)
    t2 = rng.choice(TEMPLATES).format(a=b, b=a, city=city)
    date = dt.date(2024, 1, 1) + dt.timedelta(days=i // 20)
    return {
        "id": f"s{i:05d}",
        "date": date.isoformat(),
        "title": f"Story {i}: {a} and {b}",
        "text": f"{t1} {t2} Report number {i} from {city}. {FILLER}",
        "source": f"feed{i % 3}",
    }


def write_corpus(path: Path, n: int, seed: int = 1, copies_every: int = 0) -> list[dict]:
    """n stories; with copies_every=k, every k-th story is followed later by a syndicated copy
    (same text, a different id and source, one extra closing sentence)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(story(i, rng))
        if copies_every and i % copies_every == copies_every - 1 and i >= 3:
            orig = rows[-3] if len(rows) >= 3 else rows[-1]
            cp = dict(
                orig,
                id=orig["id"] + "-copy",
                source="wire",
                text=orig["text"] + " The report was updated with more details.",
            )
            rows.append(cp)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    return rows
