"""Pure logic of the console's screens: API refusals in plain words, the confusion matrix as
heat, per-class figures, the order of the labelling keys, a dropped folder's class folders.
Values in, values out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from docroute.intake import sample_label

MIB = 1024 * 1024

# What each refusal means to a person, before the API's own words.
_PLAIN = {
    400: "The request was not understood",
    401: "Your API key is not (or no longer) valid: sign in again",
    403: "Your key may not do that",
    404: "Not found, or not visible with your key",
    409: "Refused: it conflicts with the current state",
    413: "Too large",
    415: "That kind of file is not supported",
    422: "Not accepted",
    429: "Limit reached",
    503: "The API is not reachable right now",
}


def plain_error(status: int, detail: str, retry_after: str | None = None) -> str:
    """`409 fixed setting` -> "Refused: it conflicts ...: <detail>", 429 with when to retry."""
    head = _PLAIN.get(status, "The API answered with an error" if status >= 500 else "Refused")
    text = f"{head}: {detail}" if detail else head
    if status == 429 and retry_after and retry_after.isdigit():
        text += f" (try again in {_duration(int(retry_after))})"
    return text


def _duration(seconds: int) -> str:
    """3600 -> "1 hour", 1_555_200 -> "18 days": a wait in words."""
    for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@dataclass(frozen=True)
class HeatCell:
    count: int
    share: float  # of the row (the true class)
    diagonal: bool

    @property
    def style(self) -> str:
        """Background: green on the diagonal, red off it; stronger with the share."""
        if self.count == 0:
            return ""
        hue = 140 if self.diagonal else 0
        lightness = 96 - round(self.share * 66)
        text = "#fff" if lightness < 55 else "#1d232a"  # readable (WCAG AA) on every shade
        return f"background:hsl({hue},65%,{lightness}%);color:{text}"


def heatmap(matrix: list[list[int]]) -> list[list[HeatCell]]:
    """Rows: true class; each cell with its share of the row."""
    rows = []
    for i, row in enumerate(matrix):
        total = sum(row) or 1
        rows.append([HeatCell(n, n / total, i == j) for j, n in enumerate(row)])
    return rows


def class_keys(labels: list[str]) -> list[tuple[str, str]]:
    """(key, label): 1-9 for the first nine classes, then no key (type to filter)."""
    return [(str(i + 1) if i < 9 else "", label) for i, label in enumerate(labels)]


def percent(value: Any) -> str:
    return f"{float(value) * 100:.1f} %" if isinstance(value, int | float) else "-"


def live_summary(versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The live version of a workflow's version list, if any."""
    return next((v for v in versions if v.get("live")), None)


def classifications(result: dict[str, Any]) -> list[tuple[str, float]]:
    """(class, confidence) of a processing result, most confident first."""
    pairs = [(c["class"], float(c["confidence"])) for c in result.get("classifications") or []]
    return sorted(pairs, key=lambda pair: -pair[1])


def divisible(result: dict[str, Any], workflow: dict[str, Any]) -> bool:
    """A multi-page PDF or TIFF its splitting workflow read as one document, routed or in review
    and not reviewed: a person may divide it (the API's rule, services/api/review/undivided.py,
    which answers 409 with the reason when it does not hold)."""
    return (
        result.get("purpose") == "processing"
        and result.get("status") in ("routed", "review")
        and (result.get("page_count") or 0) >= 2
        and result.get("media_type") in ("application/pdf", "image/tiff")
        and not result.get("pages")
        and not result.get("split")
        and not result.get("review")
        and (workflow.get("splitting") or "none") != "none"
    )


@dataclass(frozen=True)
class Curve:
    """The threshold table drawn as an SVG chart: x the threshold, y a share (0-1)."""

    routed: str  # polyline points, share routed automatically
    error: str  # polyline points, expected error among the routed
    marker_x: float | None  # the workflow's threshold
    width: int = 320
    height: int = 120


def threshold_curve(
    rows: list[dict[str, Any]], current: float | None, width: int = 320, height: int = 120
) -> Curve:
    """Points of the share routed and of the expected error against the threshold."""
    xs = [float(r["threshold"]) for r in rows if r.get("threshold") is not None]
    if not xs:
        return Curve("", "", None, width, height)
    low, high = min(xs), max(xs)
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return round((value - low) / span * width, 1)

    def points(key: str) -> str:
        return " ".join(
            f"{x(float(r['threshold']))},{round(height - float(r[key]) * height, 1)}"
            for r in rows
            if r.get("threshold") is not None and r.get(key) is not None
        )

    marker = x(current) if current is not None and low <= current <= high else None
    return Curve(points("routed_share"), points("expected_error"), marker, width, height)


def class_thresholds(text: str) -> dict[str, Any]:
    """`w-9: 0.9` lines (or comma-separated) -> {"w-9": 0.9}; a value that is not a number is
    passed on as written, for the API to refuse in words."""
    found: dict[str, Any] = {}
    for part in re.split(r"[,\n]", text):
        label, sep, value = part.rpartition(":")
        if not sep or not label.strip():
            continue
        try:
            found[label.strip()] = float(value)
        except ValueError:
            found[label.strip()] = value.strip()
    return found


def folder_labels(paths: list[str], label: str | None, labels: list[str]) -> list[str]:
    """One label per dropped file ('' for none) from its path inside the dropped folder: a
    folder named like a class labels its files, as a zip's class folders do; else `label`."""
    return [sample_label(path or None, label or None, labels) or "" for path in paths]


def request_cap(openapi: dict[str, Any]) -> int | None:
    """The API's cap on a request's body, from a workflow's OpenAPI document (its upload limit,
    `info.x-docroute-limits`, plus the 1 MiB the API allows for the rest); None if not said."""
    limit = (openapi.get("info") or {}).get("x-docroute-limits", {}).get("max_upload_bytes")
    return limit + MIB if isinstance(limit, int) else None
