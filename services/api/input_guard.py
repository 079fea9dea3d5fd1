"""Refuses input no route can store or echo, before any route sees it: 422, never 500.

JSON that Python parses but nothing downstream can hold: `NaN`, `Infinity`, `-Infinity` and
numbers that overflow to them (`1e999`), lone UTF-16 surrogates (`"\\ud800"`, not encodable
as UTF-8, so neither the database nor the response can take it), NUL characters (PostgreSQL
text refuses them), numbers past Python's digit limit, nesting past the recursion limit.
URLs: percent-escapes that are not UTF-8, and NUL. Each refusal has the shape of FastAPI's
validation errors (`loc`, `msg`, `type`) and never repeats the input.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message as MimeHeader
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_BYTES = 1024 * 1024
MAX_ERRORS = 10
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class InputProblem:
    """Why one place of the input is refused (a FastAPI validation error, without the input)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str

    def as_error(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


NOT_FINITE = (
    "NaN, Infinity and -Infinity (or numbers too large for a double) are not accepted: send a finite number"
)
SURROGATE = "the text holds a lone UTF-16 surrogate (such as \\ud800), which is not a character"
NUL = "the text holds a NUL character (\\u0000), which is not accepted"


class _NonFinite:
    """Stands in for a non-finite number while the parsed document is searched."""


def json_problems(body: bytes) -> list[InputProblem]:
    """What makes a JSON body unfit; [] when it is fine, or not JSON at all (FastAPI says so)."""
    try:
        document = json.loads(body, parse_constant=_non_finite, parse_float=_finite_float)
    except UnicodeDecodeError:
        return [InputProblem(("body",), "the body is not valid UTF-8 (nor UTF-16/32) JSON", "json_invalid")]
    except json.JSONDecodeError:
        return []
    except RecursionError:
        return [InputProblem(("body",), "the JSON is nested too deeply", "json_too_deep")]
    except ValueError:  # int("9" * 5000): past Python's digit limit
        return [InputProblem(("body",), "a number has too many digits", "json_number_too_long")]
    try:
        return list(_walk(document, ("body",)))[:MAX_ERRORS]
    except RecursionError:
        return [InputProblem(("body",), "the JSON is nested too deeply", "json_too_deep")]


def _non_finite(_: str) -> _NonFinite:
    return _NonFinite()


def _finite_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite()


def _walk(value: Any, loc: tuple[str | int, ...]) -> Iterator[InputProblem]:
    if isinstance(value, _NonFinite):
        yield InputProblem(loc, NOT_FINITE, "number_not_finite")
    elif isinstance(value, str):
        yield from text_problems(value, loc)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problems = list(text_problems(key, loc))
            yield from key_problems
            yield from _walk(item, (*loc, "?" if key_problems else key))


def text_problems(text: str, loc: tuple[str | int, ...]) -> Iterator[InputProblem]:
    """A lone surrogate or NUL in `text`."""
    if _SURROGATE.search(text):
        yield InputProblem(loc, SURROGATE, "string_unicode")
    if "\x00" in text:
        yield InputProblem(loc, NUL, "string_nul")


def url_problems(scope: Scope) -> list[InputProblem]:
    """Percent-escapes in the path or query that are not UTF-8, and NUL anywhere in them."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    query = scope.get("query_string", b"")
    problems = []
    for part, raw in (("path", raw_path), ("query", query)):
        try:
            text = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            problems.append(
                InputProblem((part,), f"the {part} holds percent-escapes that are not UTF-8", "url_invalid")
            )
            continue
        problems.extend(text_problems(text, (part,)))
    return problems


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI would read a body with this content type as JSON (no type: it tries)."""
    if not content_type:
        return True
    header = MimeHeader()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


class InputGuard:
    """ASGI layer in front of every route: checks URLs, and buffers and checks JSON bodies."""

    def __init__(self, app: ASGIApp, max_json_bytes: int = MAX_JSON_BYTES) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = url_problems(scope)
        if problems:
            await _refuse(problems)(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if scope["method"] in ("GET", "HEAD", "OPTIONS") or not is_json(content_type):
            await self.app(scope, receive, send)
            return
        try:
            body, more = await self._read(receive)
        except HTTPException as exc:  # the body cap, raised from its `receive`
            await JSONResponse({"detail": exc.detail}, status_code=exc.status_code)(scope, receive, send)
            return
        if more:
            detail = f"a JSON body is at most {self.max_json_bytes} bytes"
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        problems = json_problems(body)
        if problems:
            await _refuse(problems)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        """The body, and whether it went past the cap (then reading stops)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_json_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the buffered body over once, then waits on the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _refuse(problems: list[InputProblem]) -> JSONResponse:
    return JSONResponse({"detail": [p.as_error() for p in problems]}, status_code=422)
