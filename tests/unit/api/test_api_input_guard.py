"""The input guard's checks and the safe error bodies, as pure functions."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import pytest
from fastapi import HTTPException, UploadFile
from fastapi.security import HTTPAuthorizationCredentials

from services.api.deps import _takes_many, presented_key
from services.api.errors import input_excerpt, safe_error, safe_text
from services.api.input_guard import is_json, json_problems, url_problems


def _types(body: bytes) -> list[tuple[tuple[str | int, ...], str]]:
    return [(p.loc, p.type) for p in json_problems(body)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"threshold": NaN}', [(("body", "threshold"), "number_not_finite")]),
        (
            b'{"a": [1, Infinity, -Infinity]}',
            [(("body", "a", 1), "number_not_finite"), (("body", "a", 2), "number_not_finite")],
        ),
        (b'{"t": 1e999}', [(("body", "t"), "number_not_finite")]),
        (b'{"name": "\\ud800"}', [(("body", "name"), "string_unicode")]),
        (
            b'{"name": "\\udc00x\\u0000"}',
            [(("body", "name"), "string_unicode"), (("body", "name"), "string_nul")],
        ),
        (b'{"\\ud800": 1}', [(("body",), "string_unicode")]),
        (b'"\xed\xa0\x80"', [(("body",), "string_unicode")]),
        (b'{"a": "\xff"}', [(("body",), "json_invalid")]),
        (b"9" * 5000, [(("body",), "json_number_too_long")]),
        (b"[" * 100_000, [(("body",), "json_too_deep")]),
    ],
    ids=[
        "nan",
        "infinities",
        "overflow",
        "surrogate",
        "surrogate-and-nul",
        "key",
        "cesu-bytes",
        "not-utf-8",
        "digits",
        "deep",
    ],
)
def test_unfit_json_is_found_where_it_is(
    body: bytes, expected: list[tuple[tuple[str | int, ...], str]]
) -> None:
    assert _types(body) == expected


@pytest.mark.parametrize(
    "body",
    [b'{"name": "Rechnung \\u00e9 \\ud83d\\ude00", "t": 0.8, "n": 1e308}', b"[]", b'{"a": ', b"not json"],
    ids=["fit", "empty-list", "truncated", "not-json"],
)
def test_fit_json_and_syntax_errors_pass_to_fastapi(body: bytes) -> None:
    """Syntax errors are FastAPI's to answer (`json_invalid` with the position)."""
    assert json_problems(body) == []


def test_errors_are_capped() -> None:
    assert len(json_problems(json.dumps([float("nan")] * 50).encode())) == 10


@pytest.mark.parametrize(
    ("raw_path", "query", "expected"),
    [
        (b"/documents/abc", b"class=invoice&x=%C3%A9", []),
        (b"/documents/%00", b"", [("path", "string_nul")]),
        (b"/documents/%ED%A0%80", b"", [("path", "url_invalid")]),
        (b"/w", b"class=%ff", [("query", "url_invalid")]),
        (b"/w", b"class=in%00voice", [("query", "string_nul")]),
    ],
)
def test_urls_must_be_utf_8_without_nul(
    raw_path: bytes, query: bytes, expected: list[tuple[str, str]]
) -> None:
    problems = url_problems({"raw_path": raw_path, "path": raw_path.decode(), "query_string": query})
    assert [(p.loc[0], p.type) for p in problems] == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, True),
        ("application/json", True),
        ("application/merge-patch+json; charset=utf-8", True),
        ("multipart/form-data; boundary=x", False),
        ("text/plain", False),
    ],
)
def test_which_bodies_are_json(content_type: str | None, expected: bool) -> None:
    assert is_json(content_type) is expected


def test_safe_text_escapes_and_shortens() -> None:
    assert safe_text("a\ud800b\x00c", 10) == "a\\ud800b\\x00c"
    assert safe_text("Rechnung é", 100) == "Rechnung é"
    assert safe_text("x" * 50, 40) == "x" * 40 + "…"
    safe_text("\udfff" * 1000, 500).encode("utf-8")  # always encodable


def test_a_validation_error_keeps_loc_msg_type_and_a_short_scalar_excerpt() -> None:
    pdf_text = "Invoice 4711 " * 1000
    error = {
        "loc": ("body", "name"),
        "msg": "String should have at most 100 characters",
        "type": "string_too_long",
        "input": pdf_text,
        "ctx": {"max_length": 100},
        "url": "https://errors.pydantic.dev",
    }
    safe = safe_error(error)
    assert set(safe) == {"loc", "msg", "type", "input"}
    assert safe["loc"] == ["body", "name"] and safe["input"] == pdf_text[:40] + "…"
    assert "input" not in safe_error({**error, "input": {"name": pdf_text}})
    assert "input" not in safe_error({**error, "input": UploadFile(file=None)})  # type: ignore[arg-type]
    assert safe_error({**error, "loc": ("body", "\ud800" * 200)})["loc"][1].startswith("\\ud800")


@pytest.mark.parametrize(
    ("value", "excerpt"),
    [
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (0.5, 0.5),
        (7, 7),
        (10**40, "1" + "0" * 39 + "…"),
        (True, True),
    ],
)
def test_input_excerpts_are_json_safe(value: object, excerpt: object) -> None:
    assert input_excerpt(value) == excerpt
    json.dumps(input_excerpt(value), allow_nan=False)


def _bearer(key: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=key)


def test_a_key_in_either_header_or_the_same_in_both() -> None:
    assert presented_key(_bearer("k1"), None) == "k1"
    assert presented_key(None, "k1") == "k1"
    assert presented_key(_bearer("k1"), "k1") == "k1"
    assert presented_key(None, None) is None


def test_two_different_keys_are_a_400() -> None:
    with pytest.raises(HTTPException) as refused:
        presented_key(_bearer("k1"), "k2")
    assert refused.value.status_code == 400


@pytest.mark.parametrize(
    ("annotation", "many"),
    [
        (UploadFile, False),
        (str | None, False),
        (list[UploadFile], True),
        (list[str] | None, True),
        (Annotated[str, "x"], False),
        (tuple[str, ...], True),
        (uuid.UUID, False),
    ],
)
def test_which_form_fields_may_repeat(annotation: object, many: bool) -> None:
    assert _takes_many(annotation) is many
