"""Schemathesis against the API's own OpenAPI document: no generated request gets a 5xx.

The document is the app's (built without starting it, so pytest can make one test per
operation); the requests go to the live API of the `api` fixture, with its projection on the
real broker, S3 and database, and carry the admin key so they reach the routes instead of
stopping at 401. Path parameters `key`, `label_id` and `document_id` are often swapped for real
ones, so the fuzzing reaches existing workflows, labels and documents and not only 404s.
Bounded: a few examples per operation, generation only, well under two minutes on two cores.

(`schemathesis.pytest.from_fixture` would load the live document instead, but schemathesis
4.32 reads a pytest-internal attribute there that pytest 9 no longer has.)
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from pydantic import SecretStr

from services.api.main import create_app
from services.api.settings import ApiSettings
from tests.factories.documents import make_text_pdf
from tests.fixtures.auth import bearer

# A longer hunt by hand: DOCROUTE_FUZZ_EXAMPLES=150 (random then, not derandomized).
MAX_EXAMPLES = int(os.environ.get("DOCROUTE_FUZZ_EXAMPLES", "12"))

# Filled by `real_ids` before the first case is generated.
REAL_IDS: dict[str, list[str]] = {}
_turns = itertools.count()

schema = schemathesis.openapi.from_dict(
    create_app(ApiSettings(admin_api_key=SecretStr("only-to-build-the-document"))).openapi()
)


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    for name, values in REAL_IDS.items():
        turn = next(_turns)
        if name in path_parameters and turn % 2 == 0:
            path_parameters[name] = values[turn % len(values)]
    return path_parameters


@pytest.fixture(scope="module", autouse=True)
def real_ids(api: httpx.Client) -> None:
    """A workflow with labels and a document, for the fuzzer to hit."""
    body = {"name": "fuzzed", "labels": ["invoice", "payslip", "memo"]}
    key = api.post("/workflows", json=body).json()["key"]
    labels = [str(label["id"]) for label in api.get(f"/workflows/{key}/labels").json()]
    document = api.post(f"/processing/{key}", files={"file": ("a.pdf", make_text_pdf(["hand-made"]))})
    REAL_IDS.update(key=[key], label_id=labels, document_id=[document.json()["document_id"]])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize="DOCROUTE_FUZZ_EXAMPLES" not in os.environ,
)
def test_no_request_gets_a_server_error(case: Any, api: httpx.Client, admin_api_key: str) -> None:
    headers = {**bearer(admin_api_key), "X-API-Key": admin_api_key}
    response = case.call(base_url=str(api.base_url).rstrip("/"), headers=headers, timeout=60)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
