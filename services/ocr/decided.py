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
from typing import NamedTuple

from docroute.blobstore import BlobStore
from docroute.contracts._generated import DocumentReceived
from docroute.errors import BlobNotFoundError
from docroute.events import Outgoing, decode, encode
from services.ocr.stacks import SPLIT_MODES, division_key


def divided_key(stack_id: str) -> str:
    """Where the events of a stack's division are kept (`auto` also records the starts it found,
    services.ocr.boundaries.split_key, which stacks it divided before this record existed use)."""
    return f"ocr/{stack_id}/divided.json"


def reading_key(document_id: str) -> str:
    """Where the reading of a document read as one is kept (not a divided stack's: its parts
    have their own)."""
    return f"ocr/{document_id}.json"


class Earlier(NamedTuple):
    """What OCR did with a document when it got it before: the events of its division, or it
    read it as one; neither when it never got it (or never finished)."""

    events: Sequence[Outgoing] | None
    read_as_one: bool


NEVER_GOT = Earlier(None, read_as_one=False)


class DecidedSplits:
    """The divisions OCR made, kept so that a redelivered stack is divided as it was."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store

    @staticmethod
    def divisible(doc: DocumentReceived) -> bool:
        """Whether ``doc`` may be divided here, by a workflow that splits: a document to process,
        not a part already, not a person's division (cut as it says)."""
        return doc.purpose == "processing" and doc.part is None and doc.division is None

    @classmethod
    def applies(cls, doc: DocumentReceived, splitting: str | None) -> bool:
        """Whether ``doc`` may be divided here now, its workflow splitting as ``splitting``."""
        return splitting in SPLIT_MODES and cls.divisible(doc)

    def earlier(self, doc: DocumentReceived) -> Earlier:
        """What was done with ``doc`` before (`Earlier`); nothing to send again when a person has
        divided it since (theirs are on their way)."""
        replayed = self.replay(doc)
        if replayed is not None:
            return Earlier(replayed, read_as_one=False)
        document_id = str(doc.document_id)
        if not self._store.exists(reading_key(document_id)):
            return NEVER_GOT
        if self._store.exists(division_key(document_id)):
            return Earlier([], read_as_one=False)
        return Earlier(None, read_as_one=True)

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
