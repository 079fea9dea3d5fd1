"""Every service as the process it is in production, and a client of the API, per test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from docroute.processes import ManagedProcess
from tests.fixtures.auth import bearer

PIPELINE_SERVICES = ("ingest", "ocr", "classify", "router", "trainer")


@pytest.fixture(scope="module")
def services(
    start_docroute_service: Callable[..., ManagedProcess], admin_api_key: str
) -> dict[str, ManagedProcess]:
    started = {name: start_docroute_service(name) for name in PIPELINE_SERVICES}
    started["api"] = start_docroute_service("api", DOCROUTE_ADMIN_API_KEY=admin_api_key)
    return started


@pytest.fixture(scope="module")
def pipeline(services: dict[str, ManagedProcess], admin_api_key: str) -> Iterator[httpx.Client]:
    """A client of the API, as the admin."""
    base_url = f"http://127.0.0.1:{services['api'].port}"
    with httpx.Client(base_url=base_url, timeout=90, headers=bearer(admin_api_key)) as client:
        yield client
