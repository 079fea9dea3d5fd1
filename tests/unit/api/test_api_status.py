"""Status order: never backwards; a zip's status from its members."""

from __future__ import annotations

import pytest

from services.api.documents.service.status import FINAL, RANK, advance, aggregate, is_final


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (None, "received", "received"),
        (None, "routed", "routed"),
        ("received", "extracted", "extracted"),
        ("extracted", "received", "extracted"),
        ("classified", "extracted", "classified"),
        ("received", "routed", "routed"),
        ("routed", "classified", "routed"),
        ("routed", "failed", "routed"),
        ("failed", "routed", "failed"),
        ("review", "review", "review"),
    ],
)
def test_advance_never_moves_backwards(current: str | None, new: str, expected: str) -> None:
    assert advance(current, new) == expected


def test_final_statuses_share_the_top_rank() -> None:
    top = max(RANK.values())
    assert {s for s, r in RANK.items() if r == top} == FINAL
    assert is_final("review") and not is_final("classified")


@pytest.mark.parametrize(
    ("own", "members", "expected"),
    [
        ("received", [], "received"),
        ("failed", ["routed"], "failed"),
        ("received", ["routed", "extracted"], "extracted"),
        ("received", ["received", "failed"], "received"),
        ("received", ["routed", "routed"], "routed"),
        ("received", ["failed", "failed"], "failed"),
        ("received", ["routed", "review"], "review"),
        ("received", ["routed", "failed"], "review"),
    ],
)
def test_aggregate(own: str, members: list[str], expected: str) -> None:
    assert aggregate(own, members) == expected
