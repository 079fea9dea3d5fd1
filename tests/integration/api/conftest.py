"""The API served by uvicorn on a thread on 127.0.0.1, against the session's broker, S3 and DB.

`api` is a client holding the admin key (the operator); `keyed_client(key)` makes a client with
another key (or none), `mint_api_key(*workflow_keys)` mints a key scoped to some workflows.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from docroute.processes import HOST, free_port
from docroute.settings import ServiceSettings
from services.api.db import upgrade
from services.api.main import create_app
from services.api.settings import ApiSettings
from tests.fixtures.auth import bearer
from tests.fixtures.polling import wait_until


@contextmanager
def serve(settings: ApiSettings, headers: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """Run the app on a free port until the block ends; yields a client bound to it."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host=HOST, port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), 30, "the API did not start", 0.05)
    if not thread.is_alive():
        raise RuntimeError("the API did not start")
    try:
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=90, headers=headers) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="session")
def api_settings(
    settings: ServiceSettings, topics_ready: None, blobstore: Any, admin_api_key: str
) -> ApiSettings:
    """The API's settings for this run (the same DOCROUTE_* environment), database migrated."""
    # A group of its own: API processes of other test modules must not share its partitions.
    api = ApiSettings(
        consumer_group=f"docroute-api-test-{uuid.uuid4().hex[:8]}",
        admin_api_key=SecretStr(admin_api_key),
    )
    upgrade(api.database.url)
    return api


@pytest.fixture(scope="module")
def api(api_settings: ApiSettings, admin_api_key: str) -> Iterator[httpx.Client]:
    """The API with its projection, ready (database, broker, S3); the client holds the admin key."""
    with serve(api_settings, bearer(admin_api_key)) as client:
        wait_until(lambda: client.get("/readyz").status_code == 200, timeout_s=60)
        yield client


@pytest.fixture
def serve_api(api_settings: ApiSettings, admin_api_key: str) -> Iterator[Callable[..., Any]]:
    """Start another API with some settings changed: `with serve_api(max_upload_bytes=10):`.

    Its client holds the admin key."""

    def start(**changes: Any) -> Any:
        changed = api_settings.model_copy(update={"projection_enabled": False, **changes})
        return serve(changed, bearer(admin_api_key))

    yield start


@pytest.fixture
def keyed_client(api: httpx.Client) -> Iterator[Callable[[str | None], httpx.Client]]:
    """`keyed_client(key)`: a client of the `api` server presenting `key` (None: no key)."""
    clients: list[httpx.Client] = []

    def make(key: str | None) -> httpx.Client:
        client = httpx.Client(base_url=api.base_url, timeout=90, headers=bearer(key) if key else None)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def mint_api_key(api: httpx.Client) -> Callable[..., str]:
    """`mint_api_key(*workflow_keys)`: a new key scoped to those workflows (the secret)."""

    def mint(*workflow_keys: str, name: str = "test") -> str:
        response = api.post("/api-keys", json={"name": name, "workflow_keys": list(workflow_keys)})
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    return mint
