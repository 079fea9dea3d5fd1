"""A stack's division, once made, is the one its redelivered message gets again.

The parts of a stack follow from rules (separator sheets, blank backs, the regions on a photo)
and models (`auto`) that a release may change. A stack redelivered across such a change (OCR
divided it, then stopped before its offset was committed, and a newer replica reads it again)
would be divided anew: parts of both divisions would exist, and pages twice. So the events of
a division are kept in S3 before they go out, and a redelivered stack sends those again: the
same parts with the same event ids, which consumers drop as repeats. The first replica to keep
a division wins (a conditional write); another that divided the same stack meanwhile sends the
kept one. Only the documents of a workflow that splits now are looked up (one S3 read each;
the others make none): a stack redelivered after its workflow's splitting was set to `none`
is read as one document beside its parts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentReceived
from docroute.errors import BlobNotFoundError
from docroute.events import Outgoing, decode, encode
from services.ocr.stacks import SPLIT_MODES, division_key


def divided_key(stack_id: str) -> str:
    """Where the events of a stack's division are kept (`auto` also records the starts it found,
    services.ocr.boundaries.split_key, which stacks it divided before this record existed use)."""
    return f"ocr/{stack_id}/divided.json"


class DecidedSplits:
    """The divisions OCR made, kept so that a redelivered stack is divided as it was."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    @staticmethod
    def applies(doc: DocumentReceived, splitting: str | None) -> bool:
        """Whether ``doc`` may be divided here: a document to process, not a part already, not a
        person's division (cut as it says), of a workflow that splits."""
        first_message = doc.part is None and doc.division is None
        return splitting in SPLIT_MODES and doc.purpose == "processing" and first_message

    def replay(self, doc: DocumentReceived) -> Sequence[Outgoing] | None:
        """The events of the division made of ``doc`` before (none to send when a person has
        divided it since: theirs are on their way); None when it was never divided."""
        stack_id = str(doc.document_id)
        try:
            raw = self._store.get(divided_key(stack_id))
        except BlobNotFoundError:
            return None
        if self._store.exists(division_key(stack_id)):
            return []
        return [Outgoing(item["topic"], item["key"], decode(item["event"])) for item in json.loads(raw)]

    def keep(self, doc: DocumentReceived, events: Sequence[Outgoing]) -> Sequence[Outgoing]:
        """``events``, kept as ``doc``'s division; the division kept first when another replica
        divided the same stack meanwhile."""
        record = [{"topic": o.topic, "key": o.key, "event": encode(o.event).decode()} for o in events]
        key = divided_key(str(doc.document_id))
        if self._store.put_if_absent(key, json.dumps(record).encode(), content_type="application/json"):
            return events
        kept = self.replay(doc)
        return events if kept is None else kept
