"""The API served by uvicorn on a thread on 127.0.0.1, against the session's broker, S3 and DB."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from docroute.processes import HOST, free_port
from docroute.settings import ServiceSettings
from services.api.db import upgrade
from services.api.main import create_app
from services.api.settings import ApiSettings


@contextmanager
def serve(settings: ApiSettings) -> Iterator[httpx.Client]:
    """Run the app on a free port until the block ends; yields a client bound to it."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host=HOST, port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=90) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="session")
def api_settings(settings: ServiceSettings, topics_ready: None, blobstore: Any) -> ApiSettings:
    """The API's settings for this run (the same DOCROUTE_* environment), database migrated."""
    # A group of its own: API processes of other test modules must not share its partitions.
    api = ApiSettings(consumer_group=f"docroute-api-test-{uuid.uuid4().hex[:8]}")
    upgrade(api.database.url)
    return api


@pytest.fixture(scope="module")
def api(api_settings: ApiSettings) -> Iterator[httpx.Client]:
    """The API with its projection, ready (database, broker, S3)."""
    with serve(api_settings) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout_s=60)
        yield client


@pytest.fixture
def serve_api(api_settings: ApiSettings) -> Iterator[Callable[..., Any]]:
    """Start another API with some settings changed: `with serve_api(max_upload_bytes=10):`."""

    def start(**changes: Any) -> Any:
        return serve(api_settings.model_copy(update={"projection_enabled": False, **changes}))

    yield start


def wait_until(predicate: Callable[[], Any], timeout_s: float = 30.0, what: str = "") -> Any:
    """Poll `predicate` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout_s}s: {what or predicate}")
        time.sleep(0.2)
