"""JSON no route can store or echo: 422 with a clear message and no echo, never a 500.

Every operation of the API's OpenAPI document that takes a JSON body gets NaN, Infinity,
-Infinity and a lone surrogate in each of its fields (so a route added later is covered by
the same test); then edge cases of JSON itself, of URLs, and of long inputs in errors.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from services.api.main import create_app
from services.api.settings import ApiSettings

MARKER = "ECHO-MARKER"
BAD_VALUES = {
    "nan": (float("nan"), "number_not_finite"),
    "infinity": (float("inf"), "number_not_finite"),
    "minus-infinity": (float("-inf"), "number_not_finite"),
    "lone-surrogate": ("\ud800" + MARKER, "string_unicode"),
}
CLEAR_MESSAGES = {"number_not_finite": "finite number", "string_unicode": "surrogate"}


def _json_operations() -> list[tuple[str, str, list[str]]]:
    """(method, path, top-level fields) of every operation with a JSON request body."""
    document = create_app(ApiSettings(admin_api_key=SecretStr("only-to-build-the-document"))).openapi()
    schemas = document["components"]["schemas"]
    operations = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
                operations.append((method.upper(), path, sorted(schema.get("properties", {}))))
    return operations


JSON_OPERATIONS = _json_operations()


def _fill(path: str, workflow_key: str) -> str:
    """Path parameters: the real workflow, any id for the rest (the guard stands before routing)."""

    def value(match: re.Match[str]) -> str:
        return workflow_key if match[1] == "key" else ("1" if match[1] == "version" else str(uuid.uuid4()))

    return re.sub(r"\{(\w+)\}", value, path)


def test_the_api_has_json_operations_to_attack() -> None:
    paths = {path for _, path, _ in JSON_OPERATIONS}
    assert {
        "/workflows",
        "/workflows/{key}",
        "/workflows/{key}/webhooks",
        "/documents/{document_id}/review",
    } <= paths


@pytest.mark.parametrize("bad_name", list(BAD_VALUES))
@pytest.mark.parametrize(
    ("method", "path", "fields"), JSON_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in JSON_OPERATIONS]
)
def test_unencodable_json_is_refused_with_422(
    api: httpx.Client,
    workflow_key: str,
    good_document: Any,
    method: str,
    path: str,
    fields: list[str],
    bad_name: str,
) -> None:
    bad, error_type = BAD_VALUES[bad_name]
    body = json.dumps({field: bad for field in fields} if fields else bad)  # NaN, Infinity: not JSON
    response = api.request(
        method, _fill(path, workflow_key), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert errors and all(set(e) == {"loc", "msg", "type"} for e in errors), errors
    assert {e["type"] for e in errors} == {error_type}
    assert all(CLEAR_MESSAGES[error_type] in e["msg"] for e in errors)
    assert {tuple(e["loc"]) for e in errors} == ({("body", f) for f in fields} or {("body",)})
    assert MARKER not in response.text
    good_document.via_upload()


def _patch_workflow(api: httpx.Client, key: str, raw: bytes) -> httpx.Response:
    return api.patch(f"/workflows/{key}", content=raw, headers={"content-type": "application/json"})


JSON_EDGE_CASES = {
    "nul-in-name": (b'{"name": "in\\u0000voice"}', 422, "string_nul"),
    "number-overflowing-to-infinity": (b'{"threshold": 1e999}', 422, "number_not_finite"),
    "nan-in-class-thresholds": (b'{"class_thresholds": {"invoice": NaN}}', 422, "number_not_finite"),
    "surrogate-as-object-key": (b'{"class_thresholds": {"\\udc00": 0.5}}', 422, "string_unicode"),
    "surrogate-as-raw-bytes": (b'{"name": "\xed\xa0\x80"}', 422, "string_unicode"),
    "not-utf-8": (b'{"name": "\xff\xfe\xfa"}', 422, "json_invalid"),
    "5000-digit-number": (b'{"retrain_every": ' + b"9" * 5000 + b"}", 422, "json_number_too_long"),
    "nested-100000-deep": (b"[" * 100_000, 422, "json_too_deep"),
    "truncated": (b'{"name": "x', 422, "json_invalid"),
    "over-a-mebibyte": (b'{"name": "' + b"x" * (1024 * 1024) + b'"}', 413, None),
}


@pytest.mark.parametrize("case", list(JSON_EDGE_CASES))
def test_json_edge_cases_are_refused_clearly(
    api: httpx.Client, workflow_key: str, good_document: Any, case: str
) -> None:
    raw, status, error_type = JSON_EDGE_CASES[case]
    response = _patch_workflow(api, workflow_key, raw)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if error_type is not None:
        assert error_type in {e["type"] for e in detail}, detail
    assert len(response.text) < 2000
    assert api.get(f"/workflows/{workflow_key}").json()["name"] == "adversarial"
    good_document.via_upload()


URL_CASES = {
    "nul-in-query": ("/workflows/{key}/documents?class=in%00voice", "string_nul"),
    "not-utf-8-in-query": ("/workflows/{key}/documents?class=%ff%fe", "url_invalid"),
    "surrogate-escape-in-query": ("/workflows/{key}/documents?class=%ED%A0%80", "url_invalid"),
    "nul-in-path": ("/workflows/{key}%00/documents", "string_nul"),
    "surrogate-escape-in-path": ("/documents/%ED%A0%80", "url_invalid"),
}


@pytest.mark.parametrize("case", list(URL_CASES))
def test_unencodable_urls_are_refused_with_422(
    api: httpx.Client, workflow_key: str, good_document: Any, case: str
) -> None:
    path, error_type = URL_CASES[case]
    response = api.get(path.replace("{key}", workflow_key))
    assert response.status_code == 422, response.text
    assert [e["type"] for e in response.json()["detail"]] == [error_type]
    good_document.via_upload()


def test_a_long_input_is_not_echoed_in_a_validation_error(
    api: httpx.Client, workflow_key: str, good_document: Any
) -> None:
    """A PDF's text sent as a label name: the error quotes 40 characters of it, not all."""
    text = "Invoice 4711. " * 2000 + MARKER
    response = api.post(f"/workflows/{workflow_key}/labels", json={"name": text})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert error["input"].startswith("Invoice 4711.") and len(error["input"]) <= 41
    assert MARKER not in response.text and len(response.text) < 1000
    good_document.via_upload()


def test_a_form_text_with_nul_is_refused(api: httpx.Client, workflow_key: str, good_document: Any) -> None:
    response = api.post(
        f"/workflows/{workflow_key}/samples",
        files={"file": ("a.pdf", b"%PDF-1.4 x")},
        data={"label": "invo\x00ice"},
    )
    assert response.status_code == 422, response.text
    assert [e["type"] for e in response.json()["detail"]] == ["string_nul"]
    good_document.via_upload()


NON_FINITE_QUERIES = {
    "nan-wait": "/processing/{key}?wait=nan",
    "minus-infinity-wait": "/processing/{key}?wait=-inf",
    "nan-min-confidence": "/workflows/{key}/documents?min_confidence=nan",
    "infinity-max-confidence": "/workflows/{key}/documents?max_confidence=Infinity",
    "nan-limit": "/workflows/{key}/documents?limit=nan",
    "20-digit-version": "/processing/{key}/preview?version=99999999999999999999",
}


@pytest.mark.parametrize("case", list(NON_FINITE_QUERIES))
def test_non_finite_query_numbers_are_refused_with_422(
    api: httpx.Client, workflow_key: str, good_document: Any, case: str
) -> None:
    """The validation error quotes the value back: as text, since JSON has no NaN."""
    path = NON_FINITE_QUERIES[case].replace("{key}", workflow_key)
    if path.startswith("/processing"):
        response = api.post(path, files={"file": ("a.pdf", b"%PDF-1.4 x")})
    else:
        response = api.get(path)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][0] == "query" and error["msg"]
    good_document.via_upload()
