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


def screenshot(page: Page, name: str) -> Path:
    """Full-page screenshot under test-artefacts/console/<name>.png."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
