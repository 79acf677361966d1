"""Issue 15 flows in a real headless Chromium (Debian's) against a real server, on a database coded
from the bundled real stories (examples/stories) and on the hand-built database of known numbers.

Set DETENTE_SCREENSHOTS=DIR to keep screenshots of each flow."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from test_api import server
from test_dashboard import CHROMIUM, REPO

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium not found at {CHROMIUM}"),
]
SHOTS = os.environ.get("DETENTE_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture(scope="module")
def coded_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("flows") / "stories.duckdb"
    p = subprocess.run(
        [sys.executable, "-m", "detente", "code", str(REPO / "examples" / "stories"), "--db", str(db), "-q"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode in (0, 1), p.stderr
    return db


@pytest.fixture(scope="module")
def live(coded_db):
    with server(coded_db) as client:
        yield client


class Page:
    """A page that records console errors and refuses every request that leaves 127.0.0.1."""

    def __init__(self, browser, base, **kw):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True, **kw)
        self.errors, self.outside, self.requests = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def guard(route):
            if urlparse(route.request.url).hostname != "127.0.0.1":
                self.outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        self.page.route("**/*", guard)
        self.base = base

    def open(self, query=""):
        self.page.goto(self.base + "/" + query)
        self.ready()
        return self.page

    def ready(self):
        # (a selector, not wait_for_function: the page's CSP forbids the eval that one needs)
        self.page.wait_for_selector("body[data-ready='1']:not([aria-busy])", state="attached", timeout=60_000)

    def submit(self):
        self.page.evaluate("document.body.dataset.ready = '0'")
        self.page.click("#show")
        self.ready()

    def close(self):
        self.page.close()
        assert self.outside == [], self.outside
        assert self.errors == [], self.errors


def poll(page, js, timeout=30.0):
    """Wait until the expression `js` is true in the page (evaluated from outside, not eval'd inside)."""
    import time

    end = time.time() + timeout
    while not page.evaluate(f"() => Boolean({js})"):
        assert time.time() < end, f"timed out waiting for {js}"
        time.sleep(0.1)


def axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page)
    return [(v["id"], len(v["nodes"])) for v in res.response["violations"]]


# ------------------------------------------------------------------ report (point 1)


def test_report_for_every_top_dyad_opens_without_nan(coded_db, browser, tmp_path):
    from detente.analysis import series as an
    from detente.analysis.report import write_report
    from detente.storage.store import EventStore

    with EventStore(coded_db, read_only=True) as st:
        dyads = an.top_dyads(st, n=6, include_historical=True, include_future=True)
        assert len(dyads) >= 4
        pairs = [(r.a, r.b) for r in dyads.itertuples()] + [("ARM", "AZE")]
        for a, b in pairs:
            out = tmp_path / f"{a}_{b}.html"
            info = write_report(st, a, b, out)
            assert info["events"] >= 0
            for kw in ({"include_historical": True, "include_future": True, "include_flagged": True},):
                write_report(st, a, b, tmp_path / f"{a}_{b}_all.html", **kw)
    for html in sorted(tmp_path.glob("*.html")):
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
        page.goto(html.as_uri())
        page.wait_for_selector(".plotly-graph-div .main-svg", timeout=20_000)
        body = page.inner_text("body")
        assert not re.search(r"\bnan\b|\bNaN\b|\bNaT\b|\bNone\b", body), (html.name, body[:500])
        assert errors == [], errors
        if html.name == "ARM_AZE.html":
            shot(page, "report_ARM_AZE")
        page.close()


def test_report_cli_on_real_stories(coded_db, tmp_path):
    out = tmp_path / "r.html"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "detente",
            "report",
            "--db",
            str(coded_db),
            "--dyad",
            "ARM,AZE",
            "--out",
            str(out),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "ARM ↔ AZE" in out.read_text()


# ------------------------------------------------------------------ first view, empty view (point 2)


def test_first_view_is_the_busiest_recent_dyad_and_never_empty(live, browser):
    stats = live.get("/stats").json()
    dv = stats["default_view"]
    assert dv and dv["until"] == stats["last_document"]
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    assert (page.input_value("#actor-a"), page.input_value("#actor-b")) == (dv["a"], dv["b"])
    assert page.input_value("#since") == dv["since"] and page.input_value("#until") == dv["until"]
    n = int(re.search(r": (\d+) events", page.text_content("#series-title")).group(1))
    assert n > 0 and page.locator("#series g.trace.bars g.point path").count() > 0
    assert page.is_hidden("#series-empty")
    header = page.text_content("#stats")
    assert stats["first_document"] in header and stats["last_document"] in header
    assert axe_violations(page) == []
    shot(page, "first_view")
    p.close()


def test_empty_and_rejected_views_say_so_and_clear_the_old_view(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    page.locator("#series g.trace.bars g.point path").first.wait_for(state="attached")
    # an empty period
    page.fill("#since", "1990-01-01")
    page.fill("#until", "1990-12-31")
    p.submit()
    msg = page.text_content("#series-empty")
    assert page.is_visible("#series-empty") and msg.startswith("No events for") and "The data runs" in msg
    assert page.locator("#series g.trace.bars").count() == 0  # the old chart is gone
    assert page.locator("#events li[data-event-id]").count() == 0
    shot(page, "empty_view")
    # an unknown actor: said, not shown as 0 events
    page.fill("#actor-a", "ZZZ")
    p.submit()
    assert "No actor matches “ZZZ”" in page.text_content("#message")
    assert page.locator("#series g.trace.bars").count() == 0
    assert axe_violations(page) == []
    p.close()


def test_actor_by_name_and_suggestions(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    page.fill("#actor-a", "")
    page.type("#actor-a", "Armen")
    page.wait_for_selector("#actor-list-a option[value='ARM']", state="attached")
    page.fill("#actor-a", "Armenia")
    page.fill("#actor-b", "azerbaijan")
    page.fill("#since", "")
    page.fill("#until", "")
    p.submit()
    assert (page.input_value("#actor-a"), page.input_value("#actor-b")) == ("ARM", "AZE")
    assert page.text_content("#series-title").startswith("ARM ↔ AZE: ")
    p.close()


# ------------------------------------------------------------------ filters, URL state, downloads (point 4)


def test_filters_url_state_back_button_and_downloads(live, browser, tmp_path):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    a, b = page.input_value("#actor-a"), page.input_value("#actor-b")
    since, until = page.input_value("#since"), page.input_value("#until")
    first_url = page.url
    total = lambda: int(re.search(r": (\d+) events", page.text_content("#series-title")).group(1))
    n_all = total()
    # quad filter: only conflict
    page.uncheck("input.quad[value='1']")
    page.uncheck("input.quad[value='2']")
    p.submit()
    conflict = live.get(
        "/events", params={"dyad": f"{a},{b}", "since": since, "until": until, "quad": "3,4", "limit": 1}
    ).json()["total"]
    assert "quad=3%2C4" in page.url or "quad=3,4" in page.url
    series_total = total()
    imprecise = page.evaluate("window.detente.series.imprecise")
    assert series_total + imprecise == conflict
    # a type filter
    page.select_option("#types", ["CONSULT"])
    page.check("input.quad[value='1']")
    page.check("input.quad[value='2']")
    page.check("input.quad[value='3']")
    page.check("input.quad[value='4']")
    p.submit()
    consult = live.get(
        "/events", params={"dyad": f"{a},{b}", "since": since, "until": until, "type": "CONSULT", "limit": 1}
    ).json()["total"]
    assert total() + page.evaluate("window.detente.series.imprecise") == consult
    assert parse_qs(urlparse(page.url).query)["types"] == ["CONSULT"]
    # the shared URL opens the same view
    p2 = Page(browser, str(live.base_url).rstrip("/"))
    page2 = p2.page
    page2.goto(page.url)
    p2.ready()
    assert [o for o in page2.eval_on_selector_all("#types option:checked", "os => os.map(o => o.value)")] == [
        "CONSULT"
    ]
    assert page2.text_content("#series-title") == page.text_content("#series-title")
    p2.close()
    # downloads of the current view
    with page.expect_download() as d:
        page.click("#dl-csv")
    csv = Path(d.value.path()).read_text()
    assert csv.splitlines()[0].startswith("period,period_end,events,q1")
    assert sum(int(float(r.split(",")[2])) for r in csv.splitlines()[1:]) == total()
    with page.expect_download() as d:
        page.click("#dl-json")
    js = json.loads(Path(d.value.path()).read_text())
    assert js["view"]["types"] == ["CONSULT"] and js["series"]["series"]
    # back: the previous views, in order
    page.go_back()
    p.ready()
    poll(page, "document.querySelectorAll('#types option:checked').length === 0")
    assert total() == series_total
    page.go_back()
    p.ready()
    poll(page, f"location.href === {json.dumps(first_url)}")
    poll(page, f"/: {n_all} events/.test(document.getElementById('series-title').textContent)")
    p.close()


def test_historical_and_future_checkboxes(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open("?a=ARM&b=AZE&period=month")
    base = int(re.search(r": (\d+) events", page.text_content("#series-title")).group(1))
    page.check("#historical")
    page.check("#future")
    page.check("#imprecise")
    p.submit()
    more = int(re.search(r": (\d+) events", page.text_content("#series-title")).group(1))
    span = {"since": page.input_value("#since"), "until": page.input_value("#until")}
    api_more = live.get(
        "/events",
        params={"dyad": "ARM,AZE", "include_historical": True, "include_future": True, "limit": 1, **span},
    ).json()["total"]
    api_base = live.get("/events", params={"dyad": "ARM,AZE", "limit": 1, **span}).json()["total"]
    assert api_more > api_base and more == api_more and base <= api_base
    assert "historical=1" in page.url and "future=1" in page.url
    p.close()


def test_day_period_without_dates_is_made_readable(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    # the issue's case: dates cleared, period day -> the stories' last year, not every day since 1939
    page.fill("#since", "")
    page.fill("#until", "")
    page.select_option("#period", "day")
    p.submit()
    assert page.input_value("#since") and page.input_value("#until")
    assert len(page.evaluate("window.detente.series.series")) <= 1000
    # a century by day: made coarser, and said so
    page.fill("#since", "1900-01-01")
    page.fill("#until", "2025-12-31")
    page.select_option("#period", "day")
    p.submit()
    assert page.input_value("#period") == "month"
    assert "coarser" in page.text_content("#note")
    p.close()


# ------------------------------------------------------------------ chart, map, network, keyboard, loading


def test_spikes_marked_and_listed(tmp_path, browser):
    from sample_store import build_db

    with server(build_db(tmp_path / "k.duckdb")) as client:
        p = Page(browser, str(client.base_url).rstrip("/"))
        page = p.open("?a=USA&b=CHN&since=2024-01-01&until=2024-03-10&period=week")
        spike = page.locator("#series path.point[style*='106, 61, 154'], #series g.trace.scatter path.point")
        assert page.evaluate("window.detente.spikes.map(s => s.period)") == ["2024-02-26"]
        assert page.evaluate("document.getElementById('series').data.some(t => t.name === 'spike')")
        # click the marker: the spike's events, strongest first
        page.evaluate("""() => { const gd = document.getElementById('series');
            const t = gd.data.findIndex(t => t.name === 'spike');
            gd.emit('plotly_click', {points: [{customdata: gd.data[t].customdata[0]}]}); }""")
        page.wait_for_selector("#events-title:has-text('Spike 2024-02-26')")
        poll(page, "document.querySelectorAll('#events li[data-event-id]').length === 7")
        first = page.locator("#events li .tag").first.text_content()
        assert first == "SANCTION"
        del spike
        shot(page, "spike")
        p.close()


def test_map_legend_one_request_per_place_no_scroll_zoom(tmp_path, browser):
    from sample_store import build_db

    with server(build_db(tmp_path / "m.duckdb")) as client:
        p = Page(browser, str(client.base_url).rstrip("/"))
        page = p.open("?a=RUS&b=UKR&since=2024-01-01&until=2024-03-31")
        page.locator("#map g.scattergeo path.point").first.wait_for(timeout=10_000)
        assert page.locator("#map .colorbar").count() == 1
        assert "Circle area" in page.text_content("#map-legend")
        assert page.evaluate("document.getElementById('map')._context.scrollZoom") is False
        before = len(p.requests)
        box = page.locator("#map g.scattergeo path.point").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#events-title:has-text('Events at Kyiv')", timeout=10_000)
        made = [u for u in p.requests[before:] if "/events" in u]
        assert len(made) == 1 and "lat=" in made[0]
        assert page.locator("#events li[data-event-id]").count() == 4
        p.close()


def test_every_network_node_can_be_clicked(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    page.locator("#network g.scatterlayer g.trace").first.wait_for()
    # for each node: the pointer over its centre picks that node (plotly picks the nearest point of
    # the traces that take hovers and clicks; edges must not be among them)
    page.evaluate("""() => { const gd = document.getElementById('network'); window._picked = null;
        gd.on('plotly_hover', (ev) => { window._picked = ev.points.map(p => p.customdata); }); }""")
    where = page.evaluate("""() => { const gd = document.getElementById('network'); const n = gd.data.at(-1);
        const b = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return n.x.map((x, i) => [n.customdata[i], b.left + gd._fullLayout.xaxis.l2p(x),
                                  b.top + gd._fullLayout.yaxis.l2p(n.y[i])]); }""")
    bad = []
    for code, x, y in where:
        page.mouse.move(5, 5)
        page.evaluate("() => { window._picked = null; }")
        page.mouse.move(x, y)
        page.wait_for_timeout(60)
        picked = page.evaluate("window._picked")
        if not picked or picked[0] != code:
            bad.append((code, picked))
    res = {"n": len(where), "bad": bad}
    assert res["n"] >= 10 and res["bad"] == [], res
    # and a real click on one picks it
    code = page.evaluate("document.getElementById('network').data.at(-1).customdata[3]")
    box = page.evaluate(
        """(i) => { const gd = document.getElementById('network'); const n = gd.data.at(-1);
        const b = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [b.left + gd._fullLayout.xaxis.l2p(n.x[i]), b.top + gd._fullLayout.yaxis.l2p(n.y[i])]; }""",
        3,
    )
    page.evaluate("document.body.dataset.ready = '0'")
    page.mouse.click(*box)
    p.ready()
    assert page.input_value("#actor-a") == code
    shot(page, "network_click")
    p.close()


def test_keyboard_reaches_events_and_evidence_and_loading_is_shown(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    # slow the events request down so the loading state can be seen
    seen_loading = []

    def slow(route):
        seen_loading.append(page.evaluate("document.getElementById('loading').textContent"))
        route.continue_()

    bars = page.locator("#series g.trace.bars g.point path")
    boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
    box = max((bx for bx in boxes if bx), key=lambda bx: bx["height"])
    page.route("**/events?*", slow)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#events li[data-event-id] button")
    assert seen_loading and "Loading" in seen_loading[0]
    page.unroute("**/events?*")
    # keyboard only: focus the first event and press Enter
    page.locator("#events li[data-event-id] button").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#evidence mark.evidence")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("BUTTON", "DIV")
    assert axe_violations(page) == []
    shot(page, "evidence_keyboard")
    p.close()


def test_docs_pages_work_offline(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.page
    page.goto(p.base + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.locator(".opblock-summary-path").count() >= 10
    page.goto(p.base + "/redoc")
    page.wait_for_selector("redoc [role=menuitem], .menu-content", timeout=30_000)
    shot(page, "redoc")
    # ReDoc's footer asks a CDN for its logo: the page's CSP refuses it before any request is made
    p.errors = [e for e in p.errors if "cdn.redoc.ly" not in e]
    p.close()


def test_search_is_ranked_in_the_page(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    page.fill("#search", "sanctions Russia")
    page.click("#search-form button")
    page.wait_for_selector("#search-docs li[data-doc-id]")
    first = page.locator("#search-docs li[data-doc-id]").first.get_attribute("data-doc-id")
    assert (
        first == httpx.get(p.base + "/search", params={"q": "sanctions Russia"}).json()["documents"][0]["id"]
    )
    p.close()


def test_one_actor_against_all_and_dyads_side_by_side(live, browser):
    p = Page(browser, str(live.base_url).rstrip("/"))
    page = p.open()
    since, until = page.input_value("#since"), page.input_value("#until")
    # one actor against all
    page.fill("#actor-a", "USA")
    page.fill("#actor-b", "*")
    p.submit()
    n = int(re.search(r": (\d+) events", page.text_content("#series-title")).group(1))
    api_n = live.get(
        "/events", params={"involving": "USA", "since": since, "until": until, "limit": 1}
    ).json()["total"]
    assert page.text_content("#series-title").startswith("USA with all")
    assert n + page.evaluate("window.detente.series.imprecise") == api_n
    # several dyads side by side
    page.fill("#actor-b", "CHN")
    page.fill("#compare", "RUS-UKR; ARM-AZE")
    p.submit()
    assert page.is_visible("#compare-chart")
    names = page.evaluate("document.getElementById('compare-chart').data.map(t => t.name)")
    assert names == ["USA–CHN", "RUS–UKR", "ARM–AZE"]
    assert "compare=" in page.url
    shot(page, "compare")
    p.close()
