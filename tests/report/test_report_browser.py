"""The report page of a real build, opened in headless Chromium: it loads with no console error,
asks for nothing but ``file:`` and ``data:`` URLs, every link points at a file, and it is not
blank. The LDAvis page it links to is held to the same rule.

Chromium comes from Debian's packages (``make test`` installs it as root: ``apt-get install -y
chromium``) and is driven by playwright (``pip install -e '.[report]'``), whose own browser
download needs the internet. A missing browser or driver fails the test, saying how to install
it; only ``POLICYSHIFT_SKIP_BROWSER=1``, which CI never sets, skips it.
"""

from __future__ import annotations

import io as stdio
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from analysis import config as config_mod

ROOT = Path(__file__).resolve().parents[2]

SKIP_ENV = "POLICYSHIFT_SKIP_BROWSER"
INSTALL = (
    "install it with `apt-get update && apt-get install -y chromium` (as root; `make test` "
    f"does this) and `pip install -e '.[report]'`, or set {SKIP_ENV}=1 to skip this test"
)
LOCAL_SCHEMES = ("file", "data", "about")


def chromium() -> str:
    """Path of the system Chromium; fails the test (skips only with ``SKIP_ENV``) without it."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(f"headless Chromium not found on PATH: {INSTALL}", pytrace=False)
    return found


@dataclass
class Visit:
    """What a page did while loading: every URL it requested, console errors, page errors."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screenshot: bytes = b""
    figure_shot: bytes = b""
    links: list[str] = field(default_factory=list)
    text: str = ""
    scripts: int = 0

    def network(self) -> list[str]:
        return [u for u in self.requests if urllib.parse.urlsplit(u).scheme not in LOCAL_SCHEMES]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The system Chromium under playwright; session-scoped like ``built`` and requested
    before it, so a missing browser fails at once."""
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the playwright package is missing: {INSTALL}", pytrace=False)
    with sync_playwright() as pw:
        # --no-sandbox: Chromium refuses to run as root (CI) with its sandbox on
        launched = pw.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


def visit(browser: Any, page_path: Path) -> Visit:
    """Open ``page_path`` in a fresh, offline context: every request is recorded, and any to
    http(s) is aborted (so the test never reaches the network)."""
    seen = Visit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)

    context.route("http*://**", lambda r: r.abort())  # recorded below, never sent
    page = context.new_page()
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: m.type == "error" and seen.errors.append(m.text))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("requestfailed", lambda r: seen.errors.append(f"request failed: {r.url}"))
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)  # let scripts (LDAvis) run
    seen.screenshot = page.screenshot()
    figures = page.locator("figure img")
    if figures.count():
        seen.figure_shot = figures.first.screenshot()
    seen.links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    seen.text = page.inner_text("body")
    seen.scripts = page.locator("script").count()
    context.close()
    return seen


def colours(png: bytes) -> int:
    """Number of distinct colours of a PNG (up to a million)."""
    found = Image.open(stdio.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20)
    return len(found) if found is not None else 1 << 20


def test_report_page_loads_offline_without_errors_and_is_not_blank(browser, built):
    _, results = built
    page = results.root / "report" / "index.html"
    seen = visit(browser, page)
    assert seen.errors == []
    assert seen.network() == []
    assert seen.requests[0] == page.resolve().as_uri()
    assert colours(seen.screenshot) >= 32  # text, table rules, headings: not one flat colour
    assert colours(seen.figure_shot) >= 64  # the first figure is drawn, not a broken image
    files = [u for u in seen.links if u.startswith("file:") and "#" not in u]
    assert len(files) > 20
    for url in files:
        target = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
        assert target.is_file(), url
        assert results.root.resolve() in target.resolve().parents, url


def test_ldavis_page_loads_offline_without_errors(browser, built):
    _, results = built
    seen = visit(browser, results.topics_dir / "ldavis.html")
    assert seen.network() == []
    assert seen.errors == []
    assert colours(seen.screenshot) >= 32


def test_markup_in_data_stays_text_in_the_browser(browser, handmade, hostile):
    from analysis.report import build_report

    page = build_report(handmade, config_mod.load(ROOT / "params.toml"))
    seen = visit(browser, page)
    assert seen.errors == []  # the <img onerror> and <script> of the data never ran
    assert seen.network() == []
    assert hostile[0] in seen.text and hostile[1] in seen.text  # shown as text
    assert seen.scripts == 0
