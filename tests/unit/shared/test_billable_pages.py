"""The pages a document is billed for: the pages OCR reads, not the document's length."""

from __future__ import annotations

import pytest

from docroute.page_selection import billable_pages, pages_read


@pytest.mark.parametrize(
    ("page_count", "spec", "cap", "expected"),
    [
        (300, None, 200, 200),  # a long document: the first 200 pages are read
        (300, None, 5, 5),
        (3, None, 200, 3),  # a short one: all of it
        (300, "first 3", 200, 3),
        (300, "last 2", 200, 2),
        (300, "1-2,299-", 200, 4),
        (300, "5-", 200, 200),  # the cap applies to the selected pages: 5-204
        (300, "5-", 5, 5),
        (2, "first 9", 200, 2),  # pages past the end are not read
        (1, "all", 1, 1),
    ],
)
def test_billed_for_the_pages_read(page_count: int, spec: str | None, cap: int, expected: int) -> None:
    assert billable_pages(page_count, spec, cap) == expected
    assert billable_pages(page_count, spec, cap) == len(pages_read(spec, page_count, cap))


def test_a_selection_of_no_page_or_an_unreadable_one_counts_one() -> None:
    """The document fails at OCR (its reservation is released); while in flight it holds 1 page."""
    assert billable_pages(3, "7", 200) == 1
    assert billable_pages(3, "the good ones", 200) == 1


def test_pages_read_are_the_first_selected_up_to_the_cap() -> None:
    assert pages_read("5-", 300, 3) == [4, 5, 6]
    assert pages_read(None, 10, 200) == list(range(10))
    with pytest.raises(ValueError, match="max_pages"):
        pages_read(None, 10, 0)
