"""Moving a stack's boundaries in review (issue 8): the starts a person sends become page ranges
that put every page in exactly one part, separator sheets in none."""

from __future__ import annotations

import pytest

from services.api.errors import InvalidError
from services.api.review.boundaries import page_ranges


def test_starts_become_parts_that_cover_every_page() -> None:
    assert page_ranges(6, [0, 2, 5], set()) == [(0, 1), (2, 4), (5, 5)]
    assert page_ranges(4, [0], set()) == [(0, 3)]  # every part joined: one document


def test_a_separator_sheet_before_a_start_belongs_to_no_part() -> None:
    """Invoice | blank | payslip | blank | invoice, the payslip joined with the invoice after it."""
    assert page_ranges(6, [0, 3], {2, 4}) == [(0, 1), (3, 5)]
    assert page_ranges(6, [0, 3, 5], {2, 4}) == [(0, 1), (3, 3), (5, 5)]


@pytest.mark.parametrize(
    ("starts", "says"),
    [
        ([1, 3], "begin with page 0"),
        ([0, 3, 3], "ascending"),
        ([0, 4, 2], "ascending"),
        ([0, 6], "past the stack's last page 5"),
        ([0, 2], "separator sheets"),
    ],
)
def test_starts_that_cannot_divide_the_stack_are_refused(starts: list[int], says: str) -> None:
    with pytest.raises(InvalidError, match=says):
        page_ranges(6, starts, {2, 4})
