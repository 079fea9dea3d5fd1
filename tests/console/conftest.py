"""A headless Debian chromium (Playwright) that may reach nothing but 127.0.0.1: every request to
another host is aborted and recorded, so a page that needs a CDN shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Screenshots of every screen, on each run (git-ignored).
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "console"
LOCAL_HOSTS = {"127.0.0.1"}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


class OfflineContext:
    """A browser context whose requests beyond 127.0.0.1 are aborted; `blocked` lists them, and
    `blocked_needed` those a page needs to work (all but images: ReDoc's sidebar shows its
    maker's logo from their CDN, a decoration the page works without)."""

    def __init__(self, browser: Browser, **options: object) -> None:
        self.blocked: list[str] = []
        self.blocked_needed: list[str] = []
        self.context: BrowserContext = browser.new_context(**options)  # type: ignore[arg-type]
        self.context.route("**/*", self._only_local)

    def _only_local(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            if route.request.resource_type != "image":
                self.blocked_needed.append(url)
            route.abort()

    def new_page(self) -> Page:
        return self.context.new_page()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser: Browser) -> Iterator[OfflineContext]:
    context = OfflineContext(browser, viewport={"width": 1280, "height": 800})
    yield context
    context.close()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (the context must
    bypass CSP: axe is injected as an inline script). Swagger UI's own markup (`#swagger`, a
    workflow's OpenAPI document on the API screen) is left out: its method badges fail the
    contrast rule, a third-party design docroute does not restyle."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run({exclude: [["#swagger"]]}, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map(n => n.target)})`)"""
    )
    return list(found)


def horizontal_overflow(page: Page) -> int:
    """Pixels the page is wider than its viewport (0: no horizontal scrolling)."""
    root = "document.documentElement"
    return int(page.evaluate(f"() => {root}.scrollWidth - {root}.clientWidth"))


# The page's images in view have loaded (lazy ones below the fold load when scrolled to).
IMAGES_SHOWN = """() => [...document.images]
    .filter(i => i.loading !== "lazy" || i.getBoundingClientRect().top < innerHeight)
    .every(i => i.complete)"""


def check_screen(page: Page, name: str, problems: list[str]) -> None:
    """Screenshot at 1280x800 and 390x844; axe-core at both; no horizontal scroll at either.
    Problems are collected, so one run lists every screen's."""
    page.wait_for_function(IMAGES_SHOWN)
    screenshot(page, name)
    problems += [f"{name} (desktop): {v}" for v in serious_violations(page)]
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{name}: {overflow} px of horizontal scroll at 1280 px")
    page.set_viewport_size(MOBILE)
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{name}: {overflow} px of horizontal scroll at 390 px")
    problems += [f"{name} (mobile): {v}" for v in serious_violations(page)]
    screenshot(page, f"{name}-mobile")
    page.set_viewport_size(DESKTOP)


def screenshot(page: Page, name: str) -> Path:
    """Full-page screenshot under test-artefacts/console/<name>.png."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
