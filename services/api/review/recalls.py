"""Recalls: a document routed to extraction that a person's correction superseded is recalled
with `document.superseded`, on the topic it was routed to and on `document.routed`, so the
extraction service drops what it did with it. Two corrections do that:

- of a stack's boundaries (review/boundaries.py): the stack's new parts, routed as documents of
  their own, take its place (v1: `stack_id`, pages, `replaced_by`);
- of a routed document's class (review/service.py), when the new class goes to another topic:
  the document itself goes there (v2: `rerouted_to`), and the first topic must not keep it.

The facts are taken when the correction is recorded (`recalls_of`, kept with it), and the events
go out with the stack's division in one batch: a request whose batch did not reach the broker
sends both again, with the same ids (`stable_id` of the document and the correction's revision);
a repeated request after that sends nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from docroute import topics
from docroute.contracts._generated import DocumentSuperseded, ReplacedByItem, ReroutedTo
from docroute.events import Outgoing, emit
from services.api.documents.models import Document

Range = tuple[int, int]


def recalls_of(rows: dict[str, Document], replaced: dict[Range, str]) -> list[dict[str, Any]]:
    """What to recall of the documents `replaced` names by their pages: those routed to
    extraction (one in review or never routed went nowhere to recall from)."""
    found = []
    for (first, last), document_id in replaced.items():
        row = rows[document_id]
        routed_as = row.reviewed_class or row.predicted_class
        if row.route == "extract" and row.route_topic and routed_as:
            found.append(
                {
                    "document_id": document_id,
                    "topic": row.route_topic,
                    "class": routed_as,
                    "first_page": first,
                    "last_page": last,
                }
            )
    return found


def recall_events(stack: Document, corrected: dict[str, Any]) -> list[list[Outgoing]]:
    """`document.superseded` of each recalled document: to its topic, then to `document.routed`
    (one pair each, to be produced one after the other, as the router sends a route)."""
    assert stack.workflow_id is not None
    parts = (stack.split or {}).get("parts", [])
    out: list[list[Outgoing]] = []
    for recall in corrected.get("recalls", []):
        first, last = recall["first_page"], recall["last_page"]
        data = DocumentSuperseded(
            document_id=recall["document_id"],
            workflow_id=stack.workflow_id,
            stack_id=stack.id,
            topic=recall["topic"],
            document_class=recall["class"],
            first_page=first,
            last_page=last,
            replaced_by=[
                ReplacedByItem(
                    document_id=p["document_id"], first_page=p["first_page"], last_page=p["last_page"]
                )
                for p in parts
                if p["first_page"] <= last and p["last_page"] >= first
            ],
            corrected_by=corrected["by"],
            reason=f"pages {first}-{last} (0-based) of stack {stack.id} divided again by {corrected['by']}"[
                :2000
            ],
        )
        key = recall["document_id"]
        event = emit(
            recall["topic"],
            "document.superseded",
            data,
            source="api",
            key=key,
            step="superseded",
            about=(key, stack.id, corrected["revision"]),
        )
        out.append([event, replace(event, topic=topics.DOCUMENT_ROUTED)])
    return out


def class_recall(document: Document, *, to_topic: str, to_class: str, reviewer: str) -> list[Outgoing]:
    """`document.superseded` of a routed document a person reclassified to another topic: to
    the topic it was routed to, then to `document.routed`; none when it went nowhere to recall
    from. The id names the verdict, so a request repeated after a broker failure sends the same."""
    routed_as, from_topic = document.predicted_class, document.route_topic
    if document.route != "extract" or not from_topic or not routed_as or from_topic == to_topic:
        return []
    assert document.workflow_id is not None
    data = DocumentSuperseded(
        document_id=document.id,
        workflow_id=document.workflow_id,
        topic=from_topic,
        document_class=routed_as,
        rerouted_to=ReroutedTo(topic=to_topic, document_class=to_class),
        corrected_by=reviewer,
        reason=f"class corrected from {routed_as!r} to {to_class!r} by {reviewer}"[:2000],
    )
    key = str(document.id)
    event = emit(
        from_topic,
        "document.superseded",
        data,
        source="api",
        key=key,
        step="superseded",
        about=(key, "class", to_class),
    )
    return [event, replace(event, topic=topics.DOCUMENT_ROUTED)]
