"""The stack under attack: ingest, OCR and the API as real processes on the session's broker,
S3 and database, started once for this folder (package scope), plus the helpers every
adversarial test uses.

Each bad input is one test id, asserting a clear 4xx or a dead letter with its reason code,
then that the stack still serves a good document: `good_document.via_upload()` (a PDF through
the HTTP door until OCR has read it) or `good_document.via_mailroom(partition_key)` (the same
through `mailroom.incoming`, behind the bad message in its partition).

Reusable by every file here: `api` (admin client), `client_for(key)`, `mint_api_key(*keys)`,
`new_workflow()`, `workflow_key`, `mailroom` (send events or raw bytes), `intake_events` (a
reader of `document.received`, `document.dead-letter` and `document.text-extracted`),
`dead_letter_for(document_id)`, `upload_refusal(response)` and `good_document`. Settings the
stack runs under are in `STACK_ENV`.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment, DocumentFailed, MailReceived
from docroute.events import Event, Outgoing, new_event
from docroute.kafka import EventProducer, client_options
from docroute.processes import ManagedProcess, free_port, start_service, stop_all
from docroute.settings import ServiceSettings
from tests.factories.documents import make_text_pdf
from tests.fixtures.auth import bearer
from tests.fixtures.backlog import service_groups, skip_backlog
from tests.fixtures.infra import wait_until_ready
from tests.fixtures.topic_reader import TopicReader

MIB = 1024 * 1024
# Small caps, so that files past them are cheap to make; a plan with no allowance, so that
# the good documents sent after each case never run into a quota.
STACK_ENV = {
    "DOCROUTE_MAX_UPLOAD_BYTES": str(4 * MIB),
    "DOCROUTE_MAX_FILE_BYTES": str(4 * MIB),
    "DOCROUTE_MAX_INLINE_BYTES": str(256 * 1024),
    "DOCROUTE_MAX_ZIP_MEMBERS": "20",
    "DOCROUTE_MAX_PAGES": "5",
    "DOCROUTE_USAGE__DEFAULT_PLAN": "unlimited",
    "DOCROUTE_RATE_LIMIT__PER_SECOND": "1000",
    "DOCROUTE_RATE_LIMIT__BURST": "1000",
}
STACK_SERVICES = ("ingest", "ocr")
INTAKE_TOPICS = "^({})$".format(
    "|".join(
        re.escape(t) for t in (topics.DOCUMENT_RECEIVED, topics.DEAD_LETTER, topics.DOCUMENT_TEXT_EXTRACTED)
    )
)
GOOD_PDF = make_text_pdf(["Invoice 4711", "Total due: 120.00 EUR"])


@dataclass(frozen=True)
class Stack:
    api_url: str
    processes: dict[str, ManagedProcess]


@pytest.fixture(scope="package")
def stack(
    service_env: dict[str, str],
    settings: ServiceSettings,
    run_dir: Path,
    topics_ready: None,
    blobstore: BlobStore,
    admin_api_key: str,
) -> Iterator[Stack]:
    """ingest, OCR and the API, each its own process, starting after what earlier tests left on the
    topics; stopped after this folder's last test."""
    env = {**service_env, **STACK_ENV, "DOCROUTE_ADMIN_API_KEY": admin_api_key}
    group_prefix = f"docroute-adversarial-{uuid.uuid4().hex[:8]}"
    env["DOCROUTE_KAFKA__GROUP_PREFIX"] = group_prefix
    env["DOCROUTE_CONSUMER_GROUP"] = f"{group_prefix}-api"
    skip_backlog(settings.kafka, service_groups(group_prefix))
    started: dict[str, ManagedProcess] = {}
    try:
        for name in (*STACK_SERVICES, "api"):
            port = free_port()
            env_here = {**env, "DOCROUTE_HEALTH_PORT": str(port), "DOCROUTE_PORT": str(port)}
            started[name] = start_service(name, env_here, run_dir / "logs", port=port)
            wait_until_ready(started[name], port, 120)
        yield Stack(api_url=f"http://127.0.0.1:{started['api'].port}", processes=started)
    finally:
        stop_all(list(started.values()))


@pytest.fixture(scope="package")
def client_for(stack: Stack) -> Iterator[Callable[..., httpx.Client]]:
    """`client_for(key, **headers)`: a client of the stack's API presenting `key` (None: none)."""
    clients: list[httpx.Client] = []

    def make(key: str | None, **headers: str | bytes) -> httpx.Client:
        client = httpx.Client(
            base_url=stack.api_url, timeout=60, headers={**(bearer(key) if key else {}), **headers}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="package")
def api(client_for: Callable[..., httpx.Client], admin_api_key: str) -> httpx.Client:
    """A client holding the admin key."""
    return client_for(admin_api_key)


@pytest.fixture(scope="package")
def new_workflow(api: httpx.Client) -> Callable[..., str]:
    """`new_workflow(labels=...)`: a new workflow's key."""

    def create(labels: tuple[str, ...] = ("invoice", "payslip"), name: str = "adversarial") -> str:
        response = api.post("/workflows", json={"name": name, "labels": list(labels)})
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    return create


@pytest.fixture(scope="package")
def workflow_key(new_workflow: Callable[..., str]) -> str:
    """The workflow most cases attack (labels invoice and payslip)."""
    return new_workflow()


@pytest.fixture(scope="package")
def mint_api_key(api: httpx.Client) -> Callable[..., str]:
    """`mint_api_key(*workflow_keys)`: a new key scoped to those workflows (the secret)."""

    def mint(*workflow_keys: str, name: str = "adversarial") -> str:
        response = api.post("/api-keys", json={"name": name, "workflow_keys": list(workflow_keys)})
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    return mint


@dataclass(frozen=True)
class SentMail:
    """What identifies a mail on the topic: its message key, event id and mail id."""

    key: str
    event_id: str
    mail_id: str


class Mailroom:
    """Writes to `mailroom.incoming` as an outside producer would: events, or any bytes."""

    def __init__(self, producer: EventProducer, raw: KafkaProducer) -> None:
        self._producer = producer
        self._raw = raw

    def send(self, mail: MailReceived, key: str | None = None) -> SentMail:
        """Publish `mail` (key: its mail id unless given)."""
        key = key or mail.mail_id
        event = new_event("mail.received", mail, source="adversarial", subject=mail.mail_id)
        self._producer.send([Outgoing(topics.MAILROOM_INCOMING, key, event)])
        return SentMail(key=key, event_id=event.id, mail_id=mail.mail_id)

    def send_raw(self, value: bytes, key: str) -> None:
        """Publish bytes as they are, unchecked."""
        self._raw.send(topics.MAILROOM_INCOMING, key=key.encode(), value=value).get(timeout=30)


@pytest.fixture(scope="package")
def mailroom(settings: ServiceSettings, producer: EventProducer) -> Iterator[Mailroom]:
    raw = KafkaProducer(**client_options(settings.kafka))
    yield Mailroom(producer, raw)
    raw.close()


def mail_with(workflow_id: str, *attachments: Attachment, **fields: Any) -> MailReceived:
    """A `mail.received` for `workflow_id` with a fresh mail id."""
    return MailReceived(
        mail_id=f"mail-{uuid.uuid4()}", workflow_id=workflow_id, attachments=list(attachments), **fields
    )


def inline(data: bytes, filename: str = "a.pdf") -> Attachment:
    """An inline attachment (its document id derives from the mail)."""
    return Attachment(filename=filename, content_base64=base64.b64encode(data).decode())


@pytest.fixture(scope="package")
def intake_events(settings: ServiceSettings, topics_ready: None) -> Iterator[TopicReader]:
    """Every `document.received`, `document.dead-letter` and `document.text-extracted` so far."""
    reader = TopicReader(settings.kafka, INTAKE_TOPICS)
    yield reader
    reader.close()


@pytest.fixture(scope="package")
def dead_letter_for(intake_events: TopicReader) -> Callable[..., DocumentFailed]:
    """`dead_letter_for(*ids)`: the first dead letter of document `id` (or of one of its zip
    members), or of the message with event id or key `id` (a mail, or bytes that are not one)."""

    def find(*wanted: str, timeout_s: float = 60) -> DocumentFailed:
        def about(topic: str, event: Event[Any]) -> bool:
            if topic != topics.DEAD_LETTER:
                return False
            data = event.data
            return not {str(data.document_id), str(data.parent_id), str(data.original.event_id)}.isdisjoint(
                wanted
            )

        _, event = intake_events.wait_for(about, timeout_s)
        failed: DocumentFailed = event.data
        return failed

    return find


@dataclass(frozen=True)
class Refusal:
    """How an upload was refused: at the door (`status` 4xx) or by ingest (`status` 202)."""

    status: int
    reason_code: str
    reason: str


@pytest.fixture(scope="package")
def upload_refusal(dead_letter_for: Callable[..., DocumentFailed]) -> Callable[[httpx.Response], Refusal]:
    """`upload_refusal(response)`: the reason code of a refused upload, from the door's 4xx
    (its detail ends in `(reason_code)`) or from the dead letter of the accepted document."""

    def refusal(response: httpx.Response) -> Refusal:
        if response.status_code == 202:
            failed = dead_letter_for(response.json()["document_id"])
            assert failed.original.topic == topics.INGEST_UPLOADS, failed
            return Refusal(202, failed.reason_code, failed.reason)
        assert 400 <= response.status_code < 500, response.text
        assert len(response.text) < 2000, "the refusal repeats too much of the input"
        detail = response.json()["detail"]
        code = re.search(r"\((\w+)\)$", detail) if isinstance(detail, str) else None
        assert code, f"no reason code in {detail!r}"
        return Refusal(response.status_code, code[1], detail)

    return refusal


class GoodDocument:
    """Proves the stack still serves: a good PDF goes through a door until OCR has read it."""

    def __init__(self, api: httpx.Client, workflow_key: str, mailroom: Mailroom, events: TopicReader) -> None:
        self._api = api
        self._workflow_key = workflow_key
        self._mailroom = mailroom
        self._events = events

    def via_upload(self) -> None:
        response = self._api.post(f"/processing/{self._workflow_key}", files={"file": ("good.pdf", GOOD_PDF)})
        assert response.status_code == 202, response.text
        self.wait_until_read(response.json()["document_id"])

    def via_mailroom(self, partition_key: str | None = None) -> None:
        """A good mail; with the bad message's key it lands behind it in the same partition."""
        sent = self._mailroom.send(
            mail_with(self._workflow_key, inline(GOOD_PDF, "good.pdf")), key=partition_key
        )

        def received(topic: str, event: Event[Any]) -> bool:
            return topic == topics.DOCUMENT_RECEIVED and event.data.origin.mail_id == sent.mail_id

        _, event = self._events.wait_for(received, timeout_s=90)
        self.wait_until_read(str(event.data.document_id))

    def wait_until_read(self, document_id: str) -> None:
        def read(topic: str, event: Event[Any]) -> bool:
            return event.subject == document_id and topic != topics.DOCUMENT_RECEIVED

        topic, event = self._events.wait_for(read, timeout_s=90)
        assert topic == topics.DOCUMENT_TEXT_EXTRACTED, f"the good document failed: {event.data}"


@pytest.fixture(scope="package")
def good_document(
    api: httpx.Client, workflow_key: str, mailroom: Mailroom, intake_events: TopicReader
) -> GoodDocument:
    return GoodDocument(api, workflow_key, mailroom, intake_events)
