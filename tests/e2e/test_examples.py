"""The integration examples run as an integrator runs them, against the real stack: a workflow is
trained, `examples/mailroom_producer.py` publishes two mails (one inline, one by reference to the
inbox), and `examples/extraction_consumer.py` receives both routed documents on the workflow's own
extraction topics, reading original and OCR once through the API (scoped key) and once from S3.
The doors a mailroom has (the hot folder, the mailbox) and `docroute reprocess` run here too, as
their own processes against the same stack and trained workflow."""

from __future__ import annotations

import base64
import email.message
import hashlib
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from docroute import topics
from docroute.blobstore import BlobStore
from docroute.contracts._generated import Attachment, MailReceived
from docroute.events import emit
from docroute.intake import mail_document_id
from docroute.kafka import EventProducer
from docroute.processes import ManagedProcess
from docroute.settings import ServiceSettings
from tests.e2e.conftest import PIPELINE_SERVICES
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.dovecot import ImapServer
from tests.fixtures.polling import wait_until
from tests.fixtures.topic_reader import TopicReader
from tests.fixtures.training_set import train_through_api
from tests.integration.test_gateway_folder import _mails

ROOT = Path(__file__).parents[2]
CLASSES = {"invoice": "invoice", "payslip": "payslip"}
SAMPLES_PER_CLASS = 8
MARKERS = {"invoice": "invoice", "payslip": "earnings statement"}  # in the first lines of each
# The default plans and one of no pages, to see a mail refused with quota_exceeded (a dead letter
# whose cause an admin fixes with a larger plan).
PLANS = json.dumps({"free": 100, "starter": 5_000, "business": 50_000, "unlimited": None, "closed": 0})


@pytest.fixture(scope="module")
def services(
    start_docroute_service: Callable[..., ManagedProcess], admin_api_key: str
) -> dict[str, ManagedProcess]:
    """The e2e stack, every door reading the plans above."""
    started = {name: start_docroute_service(name, DOCROUTE_USAGE__PLANS=PLANS) for name in PIPELINE_SERVICES}
    started["api"] = start_docroute_service(
        "api", DOCROUTE_ADMIN_API_KEY=admin_api_key, DOCROUTE_USAGE__PLANS=PLANS
    )
    return started


@pytest.fixture(scope="module")
def workflow_key(pipeline: httpx.Client, blobstore: BlobStore) -> str:
    """A workflow trained on text PDFs, routing to topics of its own."""
    rng = random.Random(10)
    response = pipeline.post(
        "/workflows",
        json={
            "name": "examples e2e",
            "labels": list(CLASSES),
            "threshold": 0.6,
            "retrain_every": 1000,
            "routing": {"naming": "per_workflow"},  # topics of its own: extract.<key>.<class>
            "document_spec": {"cropping": False, "character_set": "latin", "text_style": "printed"},
        },
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    train_through_api(pipeline, blobstore, key, CLASSES, SAMPLES_PER_CLASS, rng)
    return key


def _run(script: str, *args: str, env: dict[str, str], timeout: float = 60) -> list[dict]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def _routed_by_router(services: dict[str, ManagedProcess]) -> float:
    """Classified documents the router has handled (outputs produced before it counts)."""
    body = httpx.get(f"http://127.0.0.1:{services['router'].port}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == "docroute_messages_processed_total"
        and sample.labels.get("event_type") == "document.classified"
    )


def test_examples_publish_and_consume_end_to_end(
    pipeline: httpx.Client,
    services: dict[str, ManagedProcess],
    topic_reader_factory: Callable[[str], TopicReader],
    workflow_key: str,
    settings: ServiceSettings,
    tmp_path: Path,
) -> None:
    rng, key = random.Random(11), workflow_key
    scoped = pipeline.post("/api-keys", json={"name": "extractor", "workflow_keys": [key]})
    assert scoped.status_code == 201, scoped.text
    s3 = settings.s3
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "AWS_", "KAFKA_"))},
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "AWS_ENDPOINT_URL": str(s3.endpoint_url),
        "AWS_ACCESS_KEY_ID": s3.access_key_id.get_secret_value() if s3.access_key_id else "",
        "AWS_SECRET_ACCESS_KEY": s3.secret_access_key.get_secret_value() if s3.secret_access_key else "",
        "AWS_DEFAULT_REGION": s3.region,
        "DOCROUTE_API_URL": str(pipeline.base_url),
        "DOCROUTE_API_KEY": scoped.json()["key"],
    }
    files = {}
    for kind in CLASSES.values():
        files[kind] = tmp_path / f"new-{kind}.pdf"
        files[kind].write_bytes(make_text_pdf(document_lines(kind, rng)))

    [inline] = _run("mailroom_producer.py", "--workflow", key, str(files["invoice"]), env=env)
    [by_ref] = _run(
        "mailroom_producer.py", "--workflow", key, "--inline-limit", "0",
        "--inbox", f"s3://{s3.bucket}/inbox/", str(files["payslip"]), env=env,
    )  # fmt: skip
    assert (inline["by_reference"], by_ref["by_reference"]) == (0, 1)
    assert inline["mail_id"] != by_ref["mail_id"]

    topics = f"extract.{key}.invoice,extract.{key}.payslip"
    for read in ("api", "s3"):
        group = f"extractor-{read}-{uuid.uuid4().hex[:6]}"  # a new service: reads from the start
        lines = _run(
            "extraction_consumer.py", "--topics", topics, "--group", group,
            "--read", read, "--max", "2", env=env, timeout=240,
        )  # fmt: skip
        by_class = {line["class"]: line for line in lines}
        assert set(by_class) == set(CLASSES), lines
        for kind, line in by_class.items():
            assert line["sha256_ok"], line
            assert line["original_bytes"] == files[kind].stat().st_size
            assert MARKERS[kind] in line["text"].lower(), line  # the OCR of this very document
    invoice = pipeline.get(f"/documents/{by_class['invoice']['document_id']}").json()
    assert invoice["workflow_id"] == key and invoice["filename"] == "new-invoice.pdf"
    assert invoice["route"]["topic"] == f"extract.{key}.invoice"

    # The same file again: the producer derives the same mail id, ingest the same document id,
    # and the router, which routed it already, sends nothing new to the extraction topic.
    handled = _routed_by_router(services)
    [repeat] = _run("mailroom_producer.py", "--workflow", key, str(files["invoice"]), env=env)
    assert (repeat["mail_id"], repeat["event_id"]) == (inline["mail_id"], inline["event_id"])
    wait_until(lambda: _routed_by_router(services) > handled, 120, "the repeat never reached the router")
    reader = topic_reader_factory(rf"^extract\.{key}\.invoice$")
    reader.read_to_end()
    assert len(reader.matching(lambda topic, event: True)) == 1


def test_hot_folder_gateway_routes_a_dropped_file(
    pipeline: httpx.Client,
    topic_reader_factory: Callable[[str], TopicReader],
    workflow_key: str,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """`docroute gateway folder` as its own process: a scan renamed into the folder, sent by
    reference to the inbox (ingest accepts the key it chose), is routed to its class's topic."""
    outside = {k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "AWS_", "KAFKA_"))}
    folder = tmp_path / "scans"
    folder.mkdir()
    gateway = subprocess.Popen(
        [sys.executable, "-m", "docroute.cli", "gateway", "folder", str(folder), "--workflow", workflow_key,
         "--settle", "0.5", "--inline-limit", "0"],
        env={**outside, **service_env},
    )  # fmt: skip
    try:
        reader = topic_reader_factory(rf"^extract\.{workflow_key}\.payslip$")
        pdf = make_text_pdf(document_lines("payslip", random.Random(12)))
        digest = hashlib.sha256(pdf).hexdigest()
        (folder / "payslip.pdf.part").write_bytes(pdf)
        (folder / "payslip.pdf.part").rename(folder / "payslip.pdf")
        wait_until((folder / "done" / "payslip.pdf").exists, 60, "the gateway never took the file")
        _, routed = reader.wait_for(lambda topic, event: event.data.blob.sha256 == digest, 120)
        document = pipeline.get(f"/documents/{routed.data.document_id}").json()
        assert document["filename"] == "payslip.pdf" and routed.data.document_class == "payslip"
        assert not (folder / "failed").exists()
    finally:
        gateway.terminate()
        assert gateway.wait(timeout=30) == 0


def _deliver(server: ImapServer, message_id: str, *files: tuple[str, bytes]) -> None:
    mail = email.message.EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "scanner@example.com", "scans", message_id
    mail.set_content("Documents attached.")
    for name, data in files:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    imap = server.client()
    try:
        assert imap.append("INBOX", None, None, mail.as_bytes())[0] == "OK"
    finally:
        imap.logout()


def test_mailbox_gateway_routes_each_attachment_and_flags_the_mail(
    topic_reader_factory: Callable[[str], TopicReader],
    workflow_key: str,
    service_env: dict[str, str],
    settings: ServiceSettings,
    dovecot: ImapServer,
) -> None:
    """`docroute gateway imap` as its own process against a real IMAP server: a mail with two
    attachments becomes two routed documents and is flagged; a restarted gateway takes the next
    mail and does not publish the first one again."""
    outside = {k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "AWS_", "KAFKA_"))}
    env = {**outside, **service_env, "DOCROUTE_IMAP__PASSWORD": dovecot.password}
    command = [
        sys.executable, "-m", "docroute.cli", "gateway", "imap", "--workflow", workflow_key,
        "--host", dovecot.host, "--port", str(dovecot.port), "--user", dovecot.user,
        "--tls", "none", "--interval", "0.5",
    ]  # fmt: skip
    rng = random.Random(14)
    invoice, payslip = (make_text_pdf(document_lines(kind, rng)) for kind in ("invoice", "payslip"))
    digests = {hashlib.sha256(invoice).hexdigest(): "invoice", hashlib.sha256(payslip).hexdigest(): "payslip"}
    reader = topic_reader_factory(rf"^extract\.{workflow_key}\.(invoice|payslip)$")
    _deliver(dovecot, f"<{uuid.uuid4().hex}@scanner>", ("invoice.pdf", invoice), ("payslip.pdf", payslip))
    gateway = subprocess.Popen(command, env=env)
    try:
        routed = {}
        for _ in digests:
            _, event = reader.wait_for(
                lambda topic, event: event.data.blob.sha256 in digests
                and event.data.blob.sha256 not in routed, 180,
            )  # fmt: skip
            routed[event.data.blob.sha256] = event.data.document_class
        assert routed == digests

        def flags() -> list[bytes]:
            imap = dovecot.client()
            try:
                return [item for item in imap.uid("FETCH", "1:*", "(FLAGS)")[1] if isinstance(item, bytes)]
            finally:
                imap.logout()

        wait_until(
            lambda: all(b"$DocrouteSent" in line for line in flags()), 30, "the mail was never flagged"
        )
        assert len(flags()) == 1
    finally:
        gateway.terminate()
        assert gateway.wait(timeout=30) == 0
    first = {
        m["data"]["mail_id"]
        for m in _mails(settings, workflow_key)
        if m["source"] == "/docroute/gateway-imap"
    }
    assert len(first) == 2

    # A restart and a second mail: once it is published, the first is known not to be again.
    _deliver(
        dovecot, f"<{uuid.uuid4().hex}@scanner>", ("later.pdf", make_text_pdf(document_lines("invoice", rng)))
    )
    restarted = subprocess.Popen(command, env=env)
    try:

        def published() -> list[dict]:
            mails = _mails(settings, workflow_key)
            return [m for m in mails if m["source"] == "/docroute/gateway-imap"]

        mails = wait_until(
            lambda: (found := published()) and len(found) > 2 and found, 60, "no second mail", interval_s=1
        )
    finally:
        restarted.terminate()
        assert restarted.wait(timeout=30) == 0
    assert len(mails) == 3 and first < {m["data"]["mail_id"] for m in mails}


def _reprocess_cli(key: str, api_url: str, admin_api_key: str, *args: str) -> list[str]:
    outside = {k: v for k, v in os.environ.items() if not k.startswith(("DOCROUTE_", "AWS_", "KAFKA_"))}
    done = subprocess.run(
        [sys.executable, "-m", "docroute.cli", "reprocess", "--workflow", key, "--api-url", api_url, *args],
        env={**outside, "DOCROUTE_ADMIN_API_KEY": admin_api_key},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()


def test_reprocess_routes_a_dead_letter_once_its_cause_is_fixed(
    pipeline: httpx.Client,
    producer: EventProducer,
    topic_reader_factory: Callable[[str], TopicReader],
    workflow_key: str,
    admin_api_key: str,
) -> None:
    """A mail over the plan is dead-lettered (quota_exceeded); the dry run lists it and sends
    nothing, a call still over the plan is refused (429) and sends nothing; after a larger plan
    `docroute reprocess` sends it once and it is routed once, and calls after it send nothing."""
    key, api_url = workflow_key, str(pipeline.base_url)
    reader = topic_reader_factory(rf"^extract\.{key}\.invoice$")
    assert pipeline.put(f"/workflows/{key}/plan", json={"plan": "closed"}).status_code == 200
    pdf = make_text_pdf(document_lines("invoice", random.Random(13)))
    mail_id = f"reprocess-e2e-{uuid.uuid4().hex[:8]}"
    mail = MailReceived(
        mail_id=mail_id,
        workflow_id=uuid.UUID(key),
        attachments=[Attachment(filename="late.pdf", content_base64=base64.b64encode(pdf).decode())],
    )
    producer.send(
        [emit(topics.MAILROOM_INCOMING, "mail.received", mail, source="e2e", key=mail_id, step=None)]
    )
    document_id = mail_document_id(key, mail_id, 0, "late.pdf")

    def failure() -> dict | None:
        found = pipeline.get(f"/documents/{document_id}")
        return (
            found.json()["failure"]
            if found.status_code == 200 and found.json()["status"] == "failed"
            else None
        )

    assert wait_until(failure, 120, "the mail was never dead-lettered")["reason_code"] == "quota_exceeded"

    dry = _reprocess_cli(key, api_url, admin_api_key, "--document", document_id, "--dry-run")
    assert dry[0].startswith(f"would_send {document_id}  late.pdf  ingest/quota_exceeded"), dry
    over = pipeline.post(f"/workflows/{key}/documents/reprocess", json={"document_ids": [document_id]})
    assert over.status_code == 429, over.text
    assert pipeline.get(f"/documents/{document_id}").json()["status"] == "failed"

    assert pipeline.put(f"/workflows/{key}/plan", json={"plan": "unlimited"}).status_code == 200
    sent = _reprocess_cli(key, api_url, admin_api_key, "--reason-code", "quota_exceeded")
    assert sent == [f"sent       {document_id}  late.pdf  ingest/quota_exceeded", "sent: 1 of 1 selected"]
    again = _reprocess_cli(key, api_url, admin_api_key, "--reason-code", "quota_exceeded")
    assert again == ["sent: 0 of 0 selected"]  # in flight: no longer failed

    _, routed = reader.wait_for(lambda topic, event: str(event.data.document_id) == document_id, 180)
    assert routed.data.blob.sha256 == hashlib.sha256(pdf).hexdigest()
    wait_until(lambda: pipeline.get(f"/documents/{document_id}").json()["status"] == "routed", 60)
    after = pipeline.post(f"/workflows/{key}/documents/reprocess", json={"document_ids": [document_id]})
    assert after.json() == {"dry_run": False, "sent": 0, "documents": []}
    reader.read_to_end()
    assert len(reader.matching(lambda topic, event: str(event.data.document_id) == document_id)) == 1
