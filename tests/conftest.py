"""Shared fixtures: the spaCy model and the coder are loaded once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DETENTE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def nlp():
    from detente.nlp.load import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def af():
    from detente.coding.actors import ActorFinder

    return ActorFinder()


@pytest.fixture(scope="session")
def coder(nlp):
    from detente.coding.coder import Coder

    return Coder(nlp=nlp)


@pytest.fixture(scope="session")
def rule_coder(nlp):
    """The coder with the rule path's events straight out (no learned decision): for tests of
    the rule path itself (its triggers, directions and flags), which the learned decision reads."""
    from detente.coding.coder import Coder

    return Coder(nlp=nlp, rules_only=True)


@pytest.fixture(scope="session")
def shared_data():
    if not SHARED_DATA.exists():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


def run_cli(*args, input=None, cwd=None, timeout=300):
    """Run the real `detente` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "detente", *map(str, args)],
        input=input,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


# Debian's Chromium, driven by Playwright (no browser download); browser tests skip without it.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the dashboard and report tests (one per test module)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
