"""The dashboard's alerts panel in a real headless Chromium (Debian's), served by a real `detente
serve` process while a real watcher (in this process) codes a feed from a local HTTP server into
the same database: a new alert appears in the open page without a reload (server-sent events)."""

from __future__ import annotations

import io
import os
from urllib.parse import urlparse

import pytest
import yaml
from test_api import server

from detente.monitoring.alerts import parse_rules
from detente.monitoring.watch import HttpFeedSource, JsonLog, Watcher
from feedserver import FeedServer, rss
from watch_items import RULES, item

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian's chromium not found at {CHROMIUM}"),
]


def test_alert_panel_updates_without_reload(coder, browser, tmp_path):
    db = tmp_path / "watch.duckdb"
    with FeedServer() as feeds:
        feeds.set("/a.xml", rss([item("cn-threat")]))
        w = Watcher(
            str(db),
            [HttpFeedSource(feeds.url("/a.xml"))],
            rules=parse_rules(yaml.safe_load(RULES)),
            coder=coder,
            log=JsonLog(io.StringIO()),
            out=io.StringIO(),
            every=60,
        )
        w.start()
        try:
            w.poll_due(force=True)  # one alert before the page opens
            with server(db) as client:
                base = str(client.base_url).rstrip("/")
                first = client.get("/alerts").json()
                assert [a["rule"] for a in first["alerts"]] == ["usa-chn"]
                assert first["alerts"][0]["events"][0]["doc_id"] == "cn-threat"

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
                page.goto(base + "/")
                page.wait_for_selector("body[data-alerts-ready='1']", timeout=30_000)
                page.wait_for_selector("body[data-alerts-live='1']", timeout=30_000)
                panel = page.locator("#alerts > li")
                assert panel.count() == 1
                assert "usa-chn" in panel.nth(0).inner_text()
                assert "China threatened" in page.inner_text("#alerts")

                # the watcher polls again and raises a new alert: the open page shows it, newest first
                feeds.set("/a.xml", rss([item("kharkiv"), item("cn-threat")]))
                w.poll_due(force=True)
                # (selectors, not wait_for_function: the page's CSP forbids evaluating strings)
                page.wait_for_selector("#alerts > li:nth-child(2)", timeout=30_000)
                assert panel.nth(0).get_attribute("data-rule") == "ukraine-conflict"
                assert panel.nth(0).get_attribute("data-seq") == "2"
                assert "Kharkiv" in panel.nth(0).inner_text()
                assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
                if page.evaluate("typeof window.showEvidence === 'function'"):
                    panel.nth(0).locator("li[data-event]").first.click()
                    page.wait_for_selector("#evidence:has-text('Kharkiv')", timeout=15_000)
                assert not outside, outside
                assert not errors, errors
                page.close()
        finally:
            w.close()
