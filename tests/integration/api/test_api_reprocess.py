"""POST /workflows/{key}/documents/reprocess picks the right documents: dead letters with a stored
original, and documents waiting in review that a model older than the live one classified (never
one a person decided, nor one the live model classified); the dry run changes nothing, a send
leaves the document in flight, so a second call sends nothing. (The whole way through the
pipeline, a dead letter routed once: tests/e2e/test_examples.py.)"""

from __future__ import annotations

import random
import threading
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from services.api.db import make_engine, make_sessionmaker
from services.api.documents.models import Document
from services.api.settings import ApiSettings
from services.api.versions.models import ModelVersion
from tests.factories.documents import document_lines, make_text_pdf
from tests.fixtures.polling import wait_until


def _live_v2(workflow_id: uuid.UUID) -> ModelVersion:
    """The workflow's live version 2: documents that v1 sent to review are older."""
    return ModelVersion(
        workflow_id=workflow_id,
        version=2,
        artifact_ref="s3://b/m",
        embedder_id="e",
        labels=["invoice", "w-9"],
        metrics={},
        live=True,
    )


def test_reprocess_selects_dead_letters_and_reviews_of_older_models(
    api: httpx.Client, api_settings: ApiSettings, blobstore: BlobStore
) -> None:
    key = api.post("/workflows", json={"name": "reprocess", "labels": ["invoice", "w-9"]}).json()["key"]
    workflow_id = uuid.UUID(key)
    pdf = make_text_pdf(document_lines("invoice", random.Random(30)))
    ref = str(blobstore.put(f"originals/sha256/test-{uuid.uuid4().hex}", pdf))
    ids = {name: uuid.uuid4() for name in ("older", "decided", "current", "lost", "failed")}

    def row(name: str, status: str, **fields: object) -> Document:
        common = {"purpose": "processing", "filename": f"{name}.pdf", "blob_ref": ref}
        return Document(id=ids[name], workflow_id=workflow_id, status=status, **{**common, **fields})

    engine = make_engine(api_settings.database.url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as session:
            session.add_all(
                [
                    row("older", "review", model_version=1, route_reason="below the threshold"),
                    row("decided", "review", model_version=1, reviewed_at=datetime.now(UTC)),
                    row("current", "review", model_version=2),
                    row(
                        "lost", "failed", blob_ref=None, failed_stage="ingest", reason_code="unsupported_type"
                    ),
                    row("failed", "failed", failed_stage="ocr", reason_code="internal_error", reason="a bug"),
                    _live_v2(workflow_id),
                ]
            )
            session.commit()
        url = f"/workflows/{key}/documents/reprocess"

        dry = api.post(url, json={"statuses": ["failed", "review"], "dry_run": True}).json()
        listed = {item["document_id"]: item for item in dry["documents"]}
        assert set(listed) == {str(ids[n]) for n in ("older", "lost", "failed")}
        assert listed[str(ids["older"])]["action"] == "would_send"
        assert listed[str(ids["older"])]["reason"] == "below the threshold"
        assert (
            listed[str(ids["lost"])]["action"] == "skipped"
            and "publish the mail again" in listed[str(ids["lost"])]["why"]
        )
        only_failed = api.post(url, json={"dry_run": True}).json()["documents"]  # the default: dead letters
        assert {item["document_id"] for item in only_failed} == {str(ids["lost"]), str(ids["failed"])}

        sent = api.post(url, json={"statuses": ["review"], "document_ids": [str(ids["older"])]})
        assert sent.status_code == 200, sent.text
        assert sent.json()["sent"] == 1
        with sessions() as session:
            older = session.get(Document, ids["older"])
            assert older is not None and older.status == "received"
            assert blobstore.get(f"uploads/{older.upload_id}") == pdf
        again = api.post(url, json={"statuses": ["review"], "document_ids": [str(ids["older"])]}).json()
        assert again == {"dry_run": False, "sent": 0, "documents": []}
    finally:
        # Disposed here: a pooled connection left to the GC warns in whichever test runs then.
        engine.dispose()


def test_a_review_deciding_a_document_as_it_is_selected_keeps_it_from_being_sent(
    api: httpx.Client, api_settings: ApiSettings, blobstore: BlobStore
) -> None:
    """A person's review holds the document's row (as the review route does) when a reprocess
    call selects it; the review commits its verdict; the reprocess must then leave it out, not
    send a reviewed document through the router again (two routes to class topics)."""
    key = api.post("/workflows", json={"name": "reprocess-race", "labels": ["invoice", "w-9"]}).json()["key"]
    workflow_id = uuid.UUID(key)
    pdf = make_text_pdf(document_lines("invoice", random.Random(31)))
    ref = str(blobstore.put(f"originals/sha256/test-{uuid.uuid4().hex}", pdf))
    document_id = uuid.uuid4()
    engine = make_engine(api_settings.database.url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as session:
            session.add_all(
                [
                    Document(
                        id=document_id,
                        workflow_id=workflow_id,
                        status="review",
                        purpose="processing",
                        filename="race.pdf",
                        blob_ref=ref,
                        model_version=1,
                    ),
                    _live_v2(workflow_id),
                ]
            )
            session.commit()
        answers: list[httpx.Response] = []
        with sessions() as review:
            row = review.get_one(Document, document_id, with_for_update=True)
            request = {"statuses": ["review"], "document_ids": [str(document_id)]}
            call = threading.Thread(
                target=lambda: answers.append(api.post(f"/workflows/{key}/documents/reprocess", json=request))
            )
            call.start()
            wait_until(lambda: _waiting_on_a_lock(review), timeout_s=30)
            row.reviewed_at, row.reviewed_class, row.status = datetime.now(UTC), "invoice", "routed"
            review.commit()
        call.join(30)
        assert answers and answers[0].status_code == 200, answers
        assert answers[0].json()["sent"] == 0
        with sessions() as session:
            assert session.get_one(Document, document_id).status == "routed"
    finally:
        engine.dispose()


def _waiting_on_a_lock(session: Session) -> bool:
    """Another connection of this database waits for a row lock (the reprocess call)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    return bool(session.connection().execute(query).scalar())
