"""The dashboard in a real headless Chromium (Debian's), on a database coded by the real coder.

Every request the page makes must go to the local server: anything else fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_api import server

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium not found at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def coded_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("dash") / "coded.duckdb"
    p = subprocess.run(
        [sys.executable, "-m", "detente", "code", str(REPO / "examples" / "stories"), "--db", str(db), "-q"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode in (0, 1), p.stderr
    return db


def test_dashboard_chart_click_evidence_offline(coded_db, browser):
    from detente.analysis import series as an
    from detente.storage.store import EventStore

    with EventStore(coded_db, read_only=True) as st:
        top = an.top_dyads(st, n=1).iloc[0]
        a, b, n = top["a"], top["b"], int(top["events"])
        days = an.dyad_events(st, a, b)["date"].dropna()
        since, until = days.min().date(), days.max().date()
    assert n >= 2, "the coder found no repeated dyad in examples/stories"

    with server(coded_db) as client:
        base = str(client.base_url).rstrip("/")
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        errors, outside = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route):
            if urlparse(route.request.url).hostname != "127.0.0.1":
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        page.route("**/*", guard)

        page.goto(f"{base}/?a={a}&b={b}&period=month&since={since}&until={until}")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert page.input_value("#actor-a") == a and page.input_value("#actor-b") == b
        assert f"{n} events" in page.text_content("#series-title")
        bars = page.locator("#series g.trace.bars g.point path")
        assert bars.count() > 0
        page.wait_for_selector("#map g.geo")
        assert page.locator("#network g.scatterlayer g.trace").count() >= 2  # edges and nodes

        # click the tallest bar: its events are listed
        boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
        box = max((bx for bx in boxes if bx), key=lambda bx: bx["height"])
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#events li[data-event-id]", timeout=10_000)
        first = page.locator("#events li[data-event-id]").first
        sentence = first.locator(".sent").text_content()
        event_id = first.get_attribute("data-event-id")

        # open its story: the evidence sentence is highlighted and is exactly the event's sentence
        first.click()
        mark = page.locator("#evidence mark.evidence")
        mark.wait_for(timeout=10_000)
        assert mark.text_content() == sentence
        assert event_id in mark.get_attribute("data-event-ids")
        assert page.locator("#evidence mark.evidence .trigger").count() == 1

        # search box over events and stories
        word = sentence.split()[0]
        page.fill("#search", word)
        page.click("#search-form button")
        page.wait_for_selector("#search-docs li", timeout=10_000)
        assert page.locator("#search-events li").count() >= 1

        if os.environ.get("DETENTE_SCREENSHOTS"):
            page.screenshot(
                path=os.path.join(os.environ["DETENTE_SCREENSHOTS"], "dashboard.png"), full_page=True
            )
        page.close()
    assert outside == [], f"requests left the machine: {outside}"
    assert errors == [], errors


def test_report_opens_offline(browser, tmp_path):
    from detente.analysis.report import write_report
    from detente.storage.store import EventStore
    from sample_store import build_db

    with EventStore(build_db(tmp_path / "r.duckdb"), read_only=True) as st:
        write_report(st, "USA", "CHN", tmp_path / "r.html", since="2024-01-01", until="2024-03-10")
    page = browser.new_page()
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def guard(route):
        if not route.request.url.startswith("file://"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto((tmp_path / "r.html").as_uri())
    page.wait_for_selector(".plotly-graph-div g.trace.bars g.point path", timeout=20_000)
    assert page.locator("blockquote b").first.text_content() in ("imposed sanctions on", "threatened")
    page.close()
    assert outside == [] and errors == [], (outside, errors)


def test_dashboard_map_and_network_on_known_data(browser, tmp_path):
    from sample_store import build_db

    with server(build_db(tmp_path / "k.duckdb")) as client:
        page = browser.new_page(viewport={"width": 1300, "height": 1600})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(str(client.base_url).rstrip("/") + "/?a=RUS&b=UKR&since=2024-01-01&until=2024-03-31")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert page.text_content("#series-title").startswith("RUS ↔ UKR: 5 events")
        assert page.evaluate("window.DETENTE_OUTLINES") in (True, False)
        if page.evaluate("window.DETENTE_OUTLINES"):
            d = page.locator("#map g.coastlines path").first.get_attribute("d") or ""
            assert len(d) > 1000  # world outlines drawn offline
        page.locator("#map g.scattergeo path.point").first.wait_for(timeout=10_000)
        assert page.locator("#map g.scattergeo path.point").count() == 1  # Kyiv
        box = page.locator("#map g.scattergeo path.point").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#events-title:has-text('Events at Kyiv')", timeout=10_000)
        assert page.locator("#events li[data-event-id]").count() == 4
        page.close()
        assert errors == [], errors
