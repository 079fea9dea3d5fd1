"""Turns `document.classified` into a routing decision, once per document."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from docroute import metrics, topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentClassified, DocumentRouted, WorkflowUpdated
from docroute.events import Event, Outgoing, emit
from docroute.routing import Routing
from docroute.workflows import WorkflowDirectory
from services.router.core import choose_route

logger = logging.getLogger(__name__)


class RouterHandler:
    """Decides a route once per document and records it, so a redelivery repeats no route; a
    document waiting in review is decided again when a newer model classifies it (reprocessing).

    The decision record (`routes/<document>.json`, written only if absent, before the route is
    sent) holds the routed event and the `document.classified` message it answers (its `time`:
    a redelivered message carries the same, another copy of the document's classification a
    time of its own). One write per document: whether the route reached the broker follows from
    which message finds the record.
    - The same message again (redelivered before its offset was committed): the route may not
      have reached the broker, so the same event (same id) is sent again; consumers drop a copy
      by id.
    - Another message (a mail published again, a reprocess): it lies behind the recorded one on
      the document's partition (the key is the document id), and a partition's messages are
      handled in order, each after the one before was produced, so the route was sent: nothing
      is sent, unless the document waits in review and a newer model classified it.
    """

    def __init__(self, workflows: WorkflowDirectory, store: BlobStore) -> None:
        self._workflows = workflows
        self._store = store

    def on_classified(self, event: Event[DocumentClassified]) -> Sequence[Outgoing]:
        doc = event.data
        if doc.purpose != "processing":
            return []
        document_id = str(doc.document_id)
        answers = event.time.isoformat()
        record: dict[str, Any] = {
            "answers": answers,
            "routed": self._decide(doc, event.time).model_dump(mode="json"),
            # Read by a router of the earlier release while an upgrade rolls (this one reads
            # `answers`): a record not yet marked sent, so it sends the same route again (a
            # copy), rather than finding the record unreadable and deciding anew.
            "sent": False,
        }
        # Claim the decision in one round trip; a redelivery finds the first one and keeps it.
        if not self._store.put_if_absent(_key(document_id), _dump(record), content_type="application/json"):
            found = _readable(self._store.get(_key(document_id)))
            if found is None:
                # Left unreadable by an earlier attempt (an S3 server that kept an upload cut off
                # by a crash): what it held is unknown, so the decision is made and recorded again.
                # The routed event's id is derived from the document, so if the earlier attempt
                # reached the broker, this is a copy that consumers drop by id, not a second route.
                logger.warning(
                    "decision record unreadable, deciding again", extra={"document_id": document_id}
                )
                self._store.put(_key(document_id), _dump(record), content_type="application/json")
            elif _sent(found, answers) and _reviewed_by_an_older_model(found, doc):
                # Waiting in review, classified again by a newer model (the API's reprocess):
                # decided again, once per model version (the event id names it).
                record = {**record, "again": True}
                self._store.put(_key(document_id), _dump(record), content_type="application/json")
            elif _sent(found, answers):
                logger.info("already routed, skipping a repeat", extra={"document_id": document_id})
                return []
            else:
                record = found
        routed = DocumentRouted.model_validate(record["routed"])
        about = (document_id, routed.model_version) if record.get("again") else None
        to_destination = emit(
            routed.topic, "document.routed", routed, source="router", key=document_id, step="routed",
            about=about,
        )  # fmt: skip
        return [to_destination, replace(to_destination, topic=topics.DOCUMENT_ROUTED)]

    def on_sent(self, event: Event[Any], outgoing: Sequence[Outgoing]) -> None:
        """Count and log a route the broker acknowledged; called by the bus. Writes nothing: a
        later message of the document tells that the route was sent (see the class docstring)."""
        routed: DocumentRouted = outgoing[0].event.data
        metrics.ROUTED.labels(routed.route, routed.document_class or "none").inc()
        if routed.document_class:
            metrics.CONFIDENCE.labels(routed.document_class).observe(routed.confidence)
        metrics.DOCUMENTS.labels("router").inc()
        logger.info(
            "routed to %s: %s",
            routed.topic,
            routed.reason,
            extra={
                "document_id": str(routed.document_id),
                "workflow_id": str(routed.workflow_id),
                "route": routed.route,
            },
        )

    def _decide(self, doc: DocumentClassified, as_of: datetime) -> DocumentRouted:
        workflow = self._workflows.get(str(doc.workflow_id), as_of=as_of)
        decision = choose_route(
            predicted_class=doc.predicted_class,
            confidence=doc.confidence,
            unknown=bool(doc.unknown),
            model_version=doc.model_version,
            threshold=workflow.threshold,
            class_thresholds=dict(workflow.class_thresholds),
            workflow_id=str(doc.workflow_id),
            routing=_routing(workflow),
            boundary_confidence=doc.boundary_confidence,
        )
        return DocumentRouted(
            document_id=doc.document_id,
            workflow_id=doc.workflow_id,
            route=decision.route,
            topic=decision.topic,
            document_class=decision.document_class,
            confidence=decision.confidence,
            threshold=decision.threshold,
            model_version=doc.model_version,
            reason=decision.reason,
            probabilities=doc.probabilities,
            blob=doc.blob,
            ocr_ref=doc.ocr_ref,
            page_count=doc.page_count,
            part=doc.part,
            boundary_confidence=doc.boundary_confidence,
        )


def _routing(workflow: WorkflowUpdated) -> Routing:
    """The workflow's class -> topic rule; absent (older events) is the shared default."""
    rule = workflow.routing
    if rule is None:
        return Routing()
    return Routing(rule.naming, dict(rule.class_topics or {}))


def _key(document_id: str) -> str:
    return f"routes/{document_id}.json"


def _reviewed_by_an_older_model(record: dict[str, Any], doc: DocumentClassified) -> bool:
    """The recorded decision sent the document to review, and a newer model classified it since."""
    first = record["routed"]
    return bool(first["route"] == "review" and doc.model_version > first["model_version"])


def _sent(record: dict[str, Any], answers: str) -> bool:
    """True when the recorded route reached the broker: the record answers another message.
    A record of an earlier release says it itself (`sent`, written after the acknowledgement)."""
    if "answers" in record:
        return bool(record["answers"] != answers)
    return bool(record["sent"])


def _readable(raw: bytes) -> dict[str, Any] | None:
    """A decision record as written, or None when it is not one (cut short, garbled)."""
    try:
        record = json.loads(raw)
        if not isinstance(record, dict):
            return None
        if not isinstance(record.get("answers"), str) and not isinstance(record.get("sent"), bool):
            return None
        DocumentRouted.model_validate(record["routed"])
    except (ValueError, KeyError):  # pydantic's ValidationError is a ValueError
        return None
    return record


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()
