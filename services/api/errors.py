"""Domain errors, and the exception handlers: every error body is valid JSON and repeats at most a
short, safe excerpt.

Services raise the `DomainError`s below; `domain_refused` maps each to its HTTP status once.

FastAPI's own validation handler returns each error's whole `input` (a PDF's text sent as a
form field came back in full) and fails with a 500 when that input holds NaN or a lone
surrogate. Here each error keeps `loc`, `msg` and `type`, and `input` only as a short
excerpt of a scalar, with unprintable characters escaped.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from docroute.errors import TransientError

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 40
MESSAGE_CHARS = 500


class DomainError(Exception):
    """A request the rules refuse; `domain_refused` answers it with `status_code` and `detail`.

    Services raise these, never FastAPI's HTTPException, so the rules know nothing of HTTP.
    """

    status_code = 400

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class NotFoundError(DomainError):
    """It does not exist, or the caller's key may not see it (existence stays hidden)."""

    status_code = 404


class ConflictError(DomainError):
    """The request is valid but the resource's state does not allow it now or any more."""

    status_code = 409


class UnsupportedError(DomainError):
    """The request's content is of a type this endpoint does not take."""

    status_code = 415


class InvalidError(DomainError):
    """The request is well-formed but breaks a rule (an unknown label, a bad routing)."""

    status_code = 422


class QuotaExceededError(DomainError):
    """The plan's allowance is used up; `headers` carry Retry-After."""

    status_code = 429


def safe_text(text: str, limit: int) -> str:
    """`text` cut to `limit` characters (marked with an ellipsis), control characters and lone
    surrogates escaped, so it always encodes as UTF-8."""
    cut = text[:limit]
    escaped = "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else _escape(c) for c in cut)
    return escaped + ("…" if len(text) > limit else "")


def _escape(char: str) -> str:
    return ascii(char)[1:-1]


def input_excerpt(value: Any) -> str | int | float | bool | None:
    """What an error may repeat of the input: a scalar, shortened; nothing of lists, objects, files."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else safe_text(str(value), EXCERPT_CHARS)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return safe_text(value, EXCERPT_CHARS)
    return None


def safe_error(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error: `loc`, `msg`, `type`, and `input` as an excerpt when it is a scalar."""
    loc = [part if isinstance(part, int) else safe_text(str(part), 100) for part in error.get("loc", ())]
    safe: dict[str, Any] = {
        "loc": loc,
        "msg": safe_text(str(error.get("msg", "")), MESSAGE_CHARS),
        "type": safe_text(str(error.get("type", "")), 100),
    }
    value = error.get("input")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        safe["input"] = input_excerpt(value)
    return safe


async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
    """422 with each error made safe (see the module docstring)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": [safe_error(e) for e in exc.errors()]}, status_code=422)


async def http_error(request: Request, exc: Exception) -> Any:
    """Starlette's answer, with a text `detail` made safe (routes quote what they refuse)."""
    assert isinstance(exc, HTTPException)
    if isinstance(exc.detail, str):
        exc = HTTPException(exc.status_code, safe_text(exc.detail, MESSAGE_CHARS), exc.headers)
    return await http_exception_handler(request, exc)


async def domain_refused(request: Request, exc: Exception) -> JSONResponse:
    """A rule refused the request: its status and headers, a text `detail` made safe (as for
    HTTPException, so clients see one shape of error)."""
    assert isinstance(exc, DomainError)
    return JSONResponse(
        {"detail": safe_text(exc.detail, MESSAGE_CHARS)}, status_code=exc.status_code, headers=exc.headers
    )


async def refused_by_database(request: Request, exc: Exception) -> JSONResponse:
    """A value validation let through and the database refused (a number out of range, NUL
    in text): the client's input, so 422, logged so the missing validation gets added."""
    reason = safe_text(str(getattr(exc, "orig", exc)).splitlines()[0], 200)
    logger.warning("%s %s: the database refused a value: %s", request.method, request.url.path, reason)
    return JSONResponse({"detail": f"the database refused a value: {reason}"}, status_code=422)


async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A dependency (broker, S3) is down: 503, try again later."""
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": f"a dependency is unavailable, try again later: {safe_text(str(exc), 300)}"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def add_error_handlers(app: FastAPI) -> None:
    """The handlers above, on `app`."""
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(DomainError, domain_refused)
    app.add_exception_handler(TransientError, unavailable)
    app.add_exception_handler(DataError, refused_by_database)
