"""/docs and /redoc of the API, and the event API's AsyncAPI page, render in a browser that can
reach nothing but 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from docroute.processes import ManagedProcess
from tests.console.conftest import OfflineContext, screenshot


@pytest.fixture(scope="module")
def api_url(start_docroute_service: Callable[..., ManagedProcess], admin_api_key: str) -> str:
    api = start_docroute_service("api", DOCROUTE_ADMIN_API_KEY=admin_api_key)
    return f"http://127.0.0.1:{api.port}"


def test_swagger_ui_lists_the_operations_offline(api_url: str, offline: OfflineContext) -> None:
    page = offline.new_page()
    page.goto(f"{api_url}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/workflows/{key}/samples" in p for p in paths), paths[:10]
    assert len(paths) > 40
    assert offline.blocked == []
    screenshot(page, "api-docs")


def test_redoc_lists_the_operations_offline(api_url: str, offline: OfflineContext) -> None:
    page = offline.new_page()
    page.goto(f"{api_url}/redoc")
    expect(page.get_by_text("List Samples").first).to_be_attached(timeout=30_000)
    expect(page.locator("h1").first).to_contain_text("docroute")
    assert offline.blocked_needed == []
    screenshot(page, "api-redoc")


def test_the_asyncapi_page_is_served_offline(api_url: str, offline: OfflineContext) -> None:
    page = offline.new_page()
    page.goto(f"{api_url}/asyncapi.html")  # public, like /docs: the contracts, no data
    expect(page.locator("h1")).to_contain_text("docroute events (AsyncAPI 3.0.0)")
    expect(page.get_by_text("mailroom.incoming").first).to_be_visible()
    assert offline.blocked == []
    yaml_text = page.request.get(f"{api_url}/asyncapi.yaml").text()
    assert yaml_text.startswith("# Generated from schemas/") and "asyncapi: 3.0.0" in yaml_text
