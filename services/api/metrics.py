"""Prometheus metrics of the API (the shared ones are in docroute.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPLOADS = Counter(
    "docroute_api_uploads_total",
    "Files taken in at the upload door, by purpose and outcome (accepted, failed).",
    ["purpose", "outcome"],
)
PROJECTED = Counter(
    "docroute_api_projected_total",
    "Events the API's projection applied to its database, by event type and outcome.",
    ["event_type", "outcome"],
)
PROJECTION_BATCH_EVENTS = Histogram(
    "docroute_api_projection_batch_events",
    "Events the API's projection applied in one transaction (a poll and its linger).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
