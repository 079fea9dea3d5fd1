"""Relevant-page specifications: which pages of a document are OCR'd.

Grammar (case and spaces do not matter, page numbers are 1-based):

- ``None``, ``""`` or ``"all"``: every page
- ``"first N"`` / ``"last N"``: the first or last N pages
- a comma-separated list of pages ``"3"``, ranges ``"1-3"`` and open ranges ``"5-"`` (to the end),
  e.g. ``"1-3,5"``

Pages beyond the document's page count are ignored; the result is sorted and unique.

`pages_read` is the one rule of which pages OCR reads (those the specification selects, at most
the page cap `ServiceSettings.max_pages`, the first ones); `billable_pages` counts them, and it is
what both doors reserve against a plan and what a delivered document is metered for, so a long
document is billed for the pages read, not for its length. Without a specification OCR stops
earlier, once the text reaches the classifier's `DOCROUTE_MAX_TEXT_CHARS`
(services.ocr.core.extract): the doors reserve before OCR, so they still count `pages_read`, an
upper bound; a workflow that wants every page read names them (``"1-"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class PageSelectionError(ValueError):
    """The relevant-pages specification cannot be read or selects no page of the document."""


_EDGE = re.compile(r"^(first|last)\s*(\d+)$")
_RANGE = re.compile(r"^(\d+)(?:-(\d*))?$")


@dataclass(frozen=True)
class _Range:
    """Pages ``start``..``end`` (1-based, inclusive); ``end`` None means to the last page."""

    start: int
    end: int | None


@dataclass(frozen=True)
class _Spec:
    """A parsed specification: ``kind`` is all, first, last or list."""

    kind: str
    count: int = 0
    ranges: tuple[_Range, ...] = ()


def _parse(spec: str | None) -> _Spec:
    """Parse ``spec`` into its structure."""
    text = " ".join((spec or "").lower().split())
    if text in ("", "all"):
        return _Spec("all")
    if edge := _EDGE.match(text):
        count = int(edge.group(2))
        if count < 1:
            raise PageSelectionError(f"relevant pages {spec!r}: the page count must be >= 1")
        return _Spec(edge.group(1), count=count)
    ranges = []
    for item in text.replace(" ", "").split(","):
        match = _RANGE.match(item)
        if match is None:
            raise PageSelectionError(
                f"relevant pages {spec!r}: cannot read {item!r}; expected 'all', 'first N', "
                "'last N' or 1-based pages and ranges like '1-3,5'"
            )
        start = int(match.group(1))
        tail = match.group(2)
        end = start if tail is None else (int(tail) if tail else None)
        if start < 1 or (end is not None and end < start):
            raise PageSelectionError(f"relevant pages {spec!r}: {item!r} is not a range of 1-based pages")
        ranges.append(_Range(start, end))
    return _Spec("list", ranges=_merge(ranges))


def _merge(ranges: list[_Range]) -> tuple[_Range, ...]:
    """Sort and merge overlapping or adjacent ranges."""
    merged: list[_Range] = []
    # Open ranges sort by start like the others; an open end absorbs everything after it.
    for item in sorted(ranges, key=lambda r: r.start):
        last = merged[-1] if merged else None
        if last is not None and (last.end is None or item.start <= last.end + 1):
            end = None if last.end is None or item.end is None else max(last.end, item.end)
            merged[-1] = _Range(last.start, end)
        else:
            merged.append(item)
    return tuple(merged)


def parse_relevant_pages(spec: str | None, page_count: int) -> list[int]:
    """0-based indexes of the pages that ``spec`` selects in a ``page_count``-page document.

    :raises PageSelectionError: (a ``ValueError``) when ``spec`` cannot be read.
    """
    parsed = _parse(spec)
    if parsed.kind == "all":
        return list(range(page_count))
    if parsed.kind == "first":
        return list(range(min(parsed.count, page_count)))
    if parsed.kind == "last":
        return list(range(max(page_count - parsed.count, 0), page_count))
    pages: list[int] = []
    for item in parsed.ranges:
        end = page_count if item.end is None else min(item.end, page_count)
        pages.extend(range(item.start - 1, end))
    return pages


def validate_relevant_pages(spec: str | None) -> str:
    """The canonical form of ``spec`` (e.g. ``" 3, 1-2 "`` -> ``"1-3"``), to store with a workflow.

    :raises PageSelectionError: (a ``ValueError``) when ``spec`` cannot be read.
    """
    parsed = _parse(spec)
    if parsed.kind in ("first", "last"):
        return f"{parsed.kind} {parsed.count}"
    if parsed.kind == "all":
        return "all"
    items = []
    for item in parsed.ranges:
        if item.end is None:
            items.append(f"{item.start}-")
        elif item.end == item.start:
            items.append(str(item.start))
        else:
            items.append(f"{item.start}-{item.end}")
    return ",".join(items)


def pages_read(spec: str | None, page_count: int, max_pages: int) -> list[int]:
    """0-based indexes of the pages OCR reads: the first ``max_pages`` of those ``spec`` selects.

    :raises PageSelectionError: when ``spec`` is unreadable or selects no page of the document.
    """
    if max_pages < 1:
        raise ValueError(f"max_pages must be >= 1, not {max_pages}")
    indexes = parse_relevant_pages(spec, page_count)
    if not indexes:
        raise PageSelectionError(f"relevant pages {spec!r} select none of the document's {page_count} pages")
    # Bounds the OCR cost per document; a document's class shows on its first pages.
    return indexes[:max_pages]


def billable_pages(page_count: int, spec: str | None, max_pages: int) -> int:
    """Pages a document is billed for: the pages OCR reads (`pages_read`), at least 1.

    Both doors reserve this many pages against the plan and the API meters this many once the
    document is delivered; the document's `page_count` (its real length) is stored unchanged. A
    specification that selects no page (the document fails at OCR and its reservation is
    released) or cannot be read counts 1.
    """
    try:
        return max(len(pages_read(spec, page_count, max_pages)), 1)
    except PageSelectionError:
        return 1
