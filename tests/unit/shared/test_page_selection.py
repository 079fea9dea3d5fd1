"""Relevant-page specifications."""

from __future__ import annotations

import pytest

from docroute.page_selection import PageSelectionError, parse_relevant_pages, validate_relevant_pages


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, [0, 1, 2, 3, 4]),
        ("", [0, 1, 2, 3, 4]),
        ("all", [0, 1, 2, 3, 4]),
        (" ALL ", [0, 1, 2, 3, 4]),
        ("first 2", [0, 1]),
        ("First  3", [0, 1, 2]),
        ("first 9", [0, 1, 2, 3, 4]),
        ("last 1", [4]),
        ("last 9", [0, 1, 2, 3, 4]),
        ("1,3", [0, 2]),
        ("1-3,5", [0, 1, 2, 4]),
        ("5,1-2", [0, 1, 4]),
        (" 1 - 2 , 2 ", [0, 1]),
        ("4-", [3, 4]),
        ("2-3,3-", [1, 2, 3, 4]),
        ("3-9", [2, 3, 4]),
        ("7", []),
    ],
)
def test_parse_selects_zero_based_pages(spec: str | None, expected: list[int]) -> None:
    assert parse_relevant_pages(spec, 5) == expected


@pytest.mark.parametrize("spec", ["x", "0", "3-1", "first 0", "first", "1,,2", "-2", "1;2", "5-0"])
def test_parse_rejects_garbage_with_a_value_error(spec: str) -> None:
    with pytest.raises(ValueError, match="relevant pages"):
        parse_relevant_pages(spec, 5)
    with pytest.raises(PageSelectionError):
        validate_relevant_pages(spec)


def test_parse_of_an_empty_document_selects_nothing() -> None:
    assert parse_relevant_pages("all", 0) == []


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        (None, "all"),
        ("", "all"),
        ("All", "all"),
        ("FIRST 2", "first 2"),
        ("last  3", "last 3"),
        ("3, 1-2", "1-3"),
        ("5,1,1", "1,5"),
        ("2-4,3-6,9", "2-6,9"),
        ("4-,2", "2,4-"),
        ("3-,5-7", "3-"),
    ],
)
def test_validate_returns_the_canonical_form(spec: str | None, canonical: str) -> None:
    assert validate_relevant_pages(spec) == canonical
    assert parse_relevant_pages(canonical, 12) == parse_relevant_pages(spec, 12)
