"""Fault injection on a running stack: mail streamed to `mailroom.incoming` in chunks, one
process stopped by a signal and started again after each chunk (every service, then the broker
on the same storage), and what came out for each document, read from the topics.

Used by `bench/faults.py` and `tests/e2e/test_faults.py`.
"""

from __future__ import annotations

import base64
import json
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from bench import _phases
from bench._corpus import Doc
from bench._events import EventLog, Mailroom
from bench._stack import Stack
from docroute import topics
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import encode, new_event
from docroute.intake import mail_document_id
from docroute.kafka import client_options
from docroute.settings import KafkaSettings

# The stages before the decision, in pipeline order (what `Tally.held_at` names).
_STAGE_TOPICS = (topics.DOCUMENT_RECEIVED, topics.DOCUMENT_TEXT_EXTRACTED, topics.DOCUMENT_CLASSIFIED)
_STAGE_RANK = {"document.received": 0, "document.text_extracted": 1, "document.classified": 2}

# The broker last: documents are then in flight at every stage when it goes.
TARGETS: tuple[str, ...] = ("ingest", "ocr", "classify", "router", "trainer", "api", "broker")


@dataclass(frozen=True)
class Routed:
    """One `document.routed` record as read: its event id and the decision it carries."""

    event_id: str
    topic: str
    document_class: str | None


@dataclass
class Tally:
    """Per document: every routed record and every dead letter's reason code."""

    routed: dict[str, list[Routed]] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    # "<stage>: <reason>" per dead letter, and records that could not be read (what they raised)
    failure_reasons: dict[str, list[str]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    # the furthest stage each document's events reached: where a document not out is held
    reached: dict[str, str] = field(default_factory=dict)

    def lost(self, ids: list[str]) -> list[str]:
        return [i for i in ids if i not in self.routed and i not in self.failed]

    def doubled(self, ids: list[str]) -> list[str]:
        """Routed as two different events (ids or decisions): what consumers cannot deduplicate."""
        return [i for i in ids if len({(r.event_id, r.topic) for r in self.routed.get(i, [])}) > 1]

    def copies(self, ids: list[str]) -> int:
        """Records beyond the first that repeat one event (same id): deduplicated downstream."""
        return sum(max(0, len(self.routed.get(i, [])) - 1) for i in ids if i not in self.doubled(ids))

    def dead_letter_reasons(self, ids: list[str]) -> Counter[str]:
        return Counter(code for i in ids for code in self.failed.get(i, []))

    def held_at(self, ids: list[str]) -> Counter[str]:
        """For the documents not out: the last stage that emitted an event for each ("sent" where
        none did: ingest never read the mail or never emitted)."""
        return Counter(self.reached.get(i, "sent") for i in self.lost(ids))


class RoutedLog:
    """Reads `document.routed` and `document.dead-letter` from the start in a thread, without a
    group, through broker restarts (kafka-python reconnects)."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._consumer = KafkaConsumer(
            **client_options(settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=1000,
        )
        self._consumer.subscribe(topics=[*_STAGE_TOPICS, topics.DOCUMENT_ROUTED, topics.DEAD_LETTER])
        self.tally = Tally()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="routed-log", daemon=True)
        self._thread.start()

    def snapshot(self) -> Tally:
        with self._lock:
            return Tally(
                {k: list(v) for k, v in self.tally.routed.items()},
                {k: list(v) for k, v in self.tally.failed.items()},
                {k: list(v) for k, v in self.tally.failure_reasons.items()},
                list(self.tally.unreadable),
                dict(self.tally.reached),
            )

    def wait_done(self, ids: list[str], timeout_s: float) -> float:
        """Seconds until every document was routed or dead-lettered; TimeoutError names the rest."""
        began = time.monotonic()
        while True:
            missing = self.snapshot().lost(ids)
            if not missing:
                return time.monotonic() - began
            if time.monotonic() - began > timeout_s:
                raise TimeoutError(f"{len(missing)} of {len(ids)} never came out, e.g. {missing[:3]}")
            time.sleep(0.5)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(10)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = self._consumer.poll(timeout_ms=500)
            except KafkaError:
                time.sleep(0.5)  # the broker is restarting
                continue
            with self._lock:
                for records in batch.values():
                    for record in records:
                        try:
                            self._apply(json.loads(record.value))
                        except (ValueError, KeyError, TypeError) as exc:  # reported, never a dead reader
                            where = f"{record.topic}[{record.partition}]@{record.offset}"
                            self.tally.unreadable.append(f"{where}: {exc!r} {record.value[:80]!r}")

    def _apply(self, envelope: dict[str, Any]) -> None:
        data = envelope["data"]
        document_id = str(data.get("document_id") or "")
        rank = _STAGE_RANK.get(envelope["type"])
        if rank is not None and rank > _STAGE_RANK.get(self.tally.reached.get(document_id, ""), -1):
            self.tally.reached[document_id] = envelope["type"]
        if envelope["type"] == "document.routed":
            routed = Routed(envelope["id"], data["topic"], data.get("document_class"))
            self.tally.routed.setdefault(document_id, []).append(routed)
        elif envelope["type"] == "document.failed" and document_id:
            self.tally.failed.setdefault(document_id, []).append(data["reason_code"])
            reason = f"{data.get('stage')}: {str(data.get('reason'))[:300]}"
            self.tally.failure_reasons.setdefault(document_id, []).append(reason)


def group_lags(settings: KafkaSettings) -> dict[str, dict[str, int]]:
    """Per consumer group, per topic: records not yet committed (end offset - committed offset,
    summed over partitions; a partition without a commit counts from 0). Where a backlog sits."""
    admin = KafkaAdminClient(**client_options(settings))
    reader = KafkaConsumer(**client_options(settings), group_id=None, enable_auto_commit=False)
    try:
        lags: dict[str, dict[str, int]] = {}
        for group, *_ in admin.list_consumer_groups():
            committed = admin.list_consumer_group_offsets(group)
            ends = reader.end_offsets(list(committed)) if committed else {}
            per_topic: Counter[str] = Counter()
            for tp, meta in committed.items():
                per_topic[tp.topic] += max(0, (ends.get(tp) or 0) - max(meta.offset, 0))
            lags[group] = {topic: lag for topic, lag in sorted(per_topic.items()) if lag}
        return lags
    finally:
        reader.close()
        admin.close()


Mail = tuple[str, bytes, bytes]  # document id, key, encoded mail.received


class MailStream:
    """Sends one `mail.received` per document as `gateways` mail gateways would, side by side:
    plain (not idempotent) producers that send again what the broker did not acknowledge; a
    repeat is harmless, as ingest derives the same document id from the same mail. Two
    gateways write the same partitions at once, as the broker's storage must allow; `refused`
    counts the errors the broker answered (by class) before a mail was acknowledged."""

    def __init__(self, settings: KafkaSettings, workflow_id: str, gateways: int = 2) -> None:
        self._producers = [
            KafkaProducer(
                **client_options(settings),
                acks="all",
                linger_ms=5,
                enable_idempotence=False,
                max_request_size=16 << 20,
            )
            for _ in range(gateways)
        ]
        self._workflow_id = workflow_id
        self.refused: Counter[str] = Counter()

    def send(self, docs: list[Doc], timeout_s: float = 120.0) -> list[str]:
        """Send every document until acknowledged; returns their document ids."""
        mails = [self._mail(doc) for doc in docs]
        shares = [mails[i :: len(self._producers)] for i in range(len(self._producers))]
        with ThreadPoolExecutor(len(self._producers)) as pool:
            sending = [
                pool.submit(_send_all, producer, share, timeout_s)
                for producer, share in zip(self._producers, shares, strict=True)
            ]
            for done in sending:
                self.refused.update(done.result())
        return [document_id for document_id, _, _ in mails]

    def close(self) -> None:
        for producer in self._producers:
            producer.close(timeout=5)

    def _mail(self, doc: Doc) -> Mail:
        mail_id = f"faults-{uuid.uuid4()}"
        mail = MailReceived(
            mail_id=mail_id,
            workflow_id=uuid.UUID(self._workflow_id),
            door="mailroom",
            attachments=[
                Attachment(filename=doc.filename, content_base64=base64.b64encode(doc.data).decode())
            ],
        )
        event = new_event("mail.received", mail, source="faults")
        document_id = mail_document_id(self._workflow_id, mail_id, 0, doc.filename)  # as ingest derives it
        return document_id, mail_id.encode(), encode(event)


def _send_all(producer: KafkaProducer, mails: list[Mail], timeout_s: float) -> Counter[str]:
    refused: Counter[str] = Counter()
    pending = {document_id: (key, value) for document_id, key, value in mails}
    deadline = time.monotonic() + timeout_s
    while pending:
        futures = {
            i: producer.send(topics.MAILROOM_INCOMING, key=key, value=value)
            for i, (key, value) in pending.items()
        }
        for document_id, future in futures.items():
            try:
                future.get(timeout=30)
                del pending[document_id]
            except KafkaError as exc:
                refused[type(exc).__name__] += 1
                if time.monotonic() > deadline:
                    raise
        if pending:
            time.sleep(1)
    return refused


@dataclass
class FaultRun:
    """What a run did: document ids in order sent, and each restart's (target, seconds to exit)."""

    ids: list[str] = field(default_factory=list)
    exits: list[tuple[str, float]] = field(default_factory=list)
    last_sent_at: float = 0.0


def stream_with_faults(
    stack: Stack,
    stream: MailStream,
    docs: list[Doc],
    sig: signal.Signals,
    targets: tuple[str, ...] = TARGETS,
    settle: bool = True,
) -> FaultRun:
    """Send `docs` in len(targets) + 1 chunks; after each of the first chunks, stop one target
    with `sig` and start it again. With `settle`, the next chunk waits until the restarted
    service is ready again, so that each stop meets documents in flight, not a restart."""
    run = FaultRun()
    chunks = _chunks(docs, len(targets) + 1)
    for chunk, target in zip(chunks, [*targets, None], strict=True):
        run.ids += stream.send(chunk)
        run.last_sent_at = time.monotonic()
        if target is None:
            continue
        run.exits.append((target, stack.restart(target, sig)))
        if settle and target != "broker":
            stack.wait_ready(target)
    return run


def trained_workflow(stack: Stack, api: httpx.Client, samples: list[Doc], probe: Doc) -> str:
    """A workflow of the corpus's labels (unlimited plan), trained on `samples` through the
    mailroom, once classify serves its first version; returns its key."""
    key = _phases.create_workflow(api)
    log = EventLog(stack.kafka)
    mailroom = Mailroom(stack.kafka, key)
    try:
        _phases.load_samples(log, mailroom, stack, key, samples)
        _phases.measure_training(api, log, mailroom, key, 1, probe)
    finally:
        log.close()
    return key


def api_statuses(api: httpx.Client, ids: list[str]) -> dict[str, str]:
    """The status the API reports for each document ("missing" where it answers 404)."""
    statuses = {}
    for document_id in ids:
        response = api.get(f"/documents/{document_id}")
        statuses[document_id] = response.json()["status"] if response.status_code == 200 else "missing"
    return statuses


def expected_statuses(tally: Tally, ids: list[str]) -> dict[str, str]:
    """What the API should say of each document, from the topics: "routed" (to extraction),
    "review", or "failed" (dead-lettered)."""
    expected = {}
    for document_id in ids:
        routed = tally.routed.get(document_id)
        if routed:
            expected[document_id] = "review" if routed[0].topic == topics.REVIEW_PENDING else "routed"
        elif document_id in tally.failed:
            expected[document_id] = "failed"
    return expected


def _chunks(docs: list[Doc], parts: int) -> list[list[Doc]]:
    size, extra = divmod(len(docs), parts)
    out, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        out.append(docs[start:end])
        start = end
    return out
