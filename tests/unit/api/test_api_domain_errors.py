"""Domain errors: one handler answers each with its status, headers and a safe `detail`."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from services.api.documents.service.door import RefusedFileError
from services.api.errors import (
    ConflictError,
    DomainError,
    InvalidError,
    NotFoundError,
    QuotaExceededError,
    UnsupportedError,
    add_error_handlers,
    domain_refused,
)


def answer_to(error: DomainError) -> tuple[int, dict[str, str], object]:
    """What the app's handler for `error` answers (the one `add_error_handlers` registers)."""
    app = FastAPI()
    add_error_handlers(app)
    handler = app.exception_handlers[DomainError]
    assert handler is domain_refused
    request = Request({"type": "http", "method": "GET", "path": "/refused", "headers": []})
    response = asyncio.run(handler(request, error))
    return response.status_code, dict(response.headers), json.loads(bytes(response.body))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("no workflow with key 'x'"), 404),
        (ConflictError("already reviewed"), 409),
        (UnsupportedError("send a PDF"), 415),
        (InvalidError("unknown label"), 422),
        (RefusedFileError(413, "file is larger than 10 bytes", "too_large"), 413),
    ],
)
def test_each_domain_error_has_its_status_and_its_detail(error: DomainError, status: int) -> None:
    code, _, body = answer_to(error)
    assert (code, body) == (status, {"detail": error.detail})


def test_quota_exceeded_is_429_with_retry_after() -> None:
    code, headers, body = answer_to(QuotaExceededError("allowance used up", headers={"Retry-After": "60"}))
    assert (code, headers["retry-after"], body) == (429, "60", {"detail": "allowance used up"})


def test_the_detail_is_cut_and_escaped() -> None:
    code, _, body = answer_to(InvalidError("label '\x00" + "x" * 600 + "'"))
    assert code == 422
    assert isinstance(body, dict)
    assert body["detail"].startswith("label '\\x00xxx") and body["detail"].endswith("…")
    assert len(body["detail"]) < 520
