"""The API's doors against the real broker, S3 and database: workflows, samples, processing,
training, and the bad input each door must refuse."""

from __future__ import annotations

import io
import uuid
import zipfile

import httpx
from fpdf import FPDF
from kafka import KafkaAdminClient
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from docroute.kafka import client_options
from docroute.processes import HOST, free_port
from docroute.settings import ServiceSettings
from services.api.documents.models import Document
from services.api.settings import ApiSettings
from tests.factories.documents import make_corrupt_pdf, make_encrypted_pdf, make_text_pdf

LABELS = ["Invoice", "Pay Slip", "W-9"]


def make_pdf(text: str = "Invoice 42") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def make_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(buf, format="PNG")
    return buf.getvalue()


def create_workflow(api: httpx.Client, **fields: object) -> str:
    body = {"name": "mailroom", "labels": LABELS, **fields}
    response = api.post("/workflows", json=body)
    assert response.status_code == 201, response.text
    return response.json()["key"]


def test_create_workflow_publishes_settings_and_topics(
    api: httpx.Client, settings: ServiceSettings, topic_reader_factory
) -> None:
    reader = topic_reader_factory(r"^workflow\.updated$")
    spec = {"cropping": True, "character_set": "japanese", "relevant_pages": "First 2"}
    key = create_workflow(
        api, description="d", document_spec=spec, class_thresholds={"W-9": 0.6}, retrain_every=5
    )
    assert uuid.UUID(key)

    _, event = reader.wait_for(lambda t, e: str(e.data.workflow_id) == key, timeout_s=30)
    assert event.data.labels == LABELS
    assert event.data.document_spec.relevant_pages == "first 2"
    assert event.data.document_spec.ocr_engine == "tesseract"
    assert (event.data.class_thresholds, event.data.retrain_every) == ({"W-9": 0.6}, 5)

    admin = KafkaAdminClient(**client_options(settings.kafka))
    try:
        assert {"extract.invoice", "extract.pay-slip", "extract.w-9"} <= set(admin.list_topics())
    finally:
        admin.close()

    shown = api.get(f"/workflows/{key}").json()
    assert shown["key"] == key
    assert shown["document_spec"]["cropping"] is True
    assert shown["extract_topics"]["Pay Slip"] == "extract.pay-slip"


def test_create_workflow_rejects_bad_settings(api: httpx.Client) -> None:
    cases = [
        {"labels": ["one"]},
        {"labels": ["a", "A "]},
        {"labels": ["a", "***"]},
        {"document_spec": {"relevant_pages": "the good ones"}},
        {"document_spec": {"character_set": "cyrillic"}},
        {"threshold": 2},
        {"class_thresholds": {"nope": 0.5}},
    ]
    for case in cases:
        body = {"name": "bad", "labels": ["a", "b"], **case}
        assert api.post("/workflows", json=body).status_code == 422, case


def test_sample_upload_goes_to_ingest_with_the_file_in_s3(
    api: httpx.Client, blobstore: BlobStore, topic_reader_factory
) -> None:
    key = create_workflow(api)
    reader = topic_reader_factory(r"^ingest\.uploads$")
    pdf = make_pdf()
    response = api.post(
        f"/workflows/{key}/samples",
        files={"file": ("dir/invoice.pdf", pdf, "application/pdf")},
        data={"label": "Invoice"},
    )
    assert response.status_code == 202, response.text
    document_id = response.json()["document_id"]
    assert response.json()["url"].endswith(f"/documents/{document_id}")

    _, event = reader.wait_for(
        lambda t, e: str(e.data.attachments[0].document_id) == document_id, timeout_s=30
    )
    mail = event.data
    assert (mail.door, mail.purpose, mail.label) == ("upload", "training", "Invoice")
    assert str(mail.workflow_id) == key
    [attachment] = mail.attachments
    assert attachment.filename == "invoice.pdf"
    assert attachment.s3_ref.endswith(f"/uploads/{mail.mail_id}")
    assert blobstore.get(attachment.s3_ref) == pdf

    shown = api.get(f"/documents/{document_id}").json()
    assert (shown["status"], shown["purpose"], shown["label"]) == (
        "received",
        "training",
        "Invoice",
    )
    assert shown["media_type"] == "application/pdf"


def test_door_refuses_bad_input(api: httpx.Client) -> None:
    key = create_workflow(api)
    pdf = make_pdf()
    unknown = str(uuid.uuid4())
    assert api.post(f"/processing/{unknown}", files={"file": ("a.pdf", pdf)}).status_code == 404
    assert api.post("/processing/not-a-key", files={"file": ("a.pdf", pdf)}).status_code == 404
    sample = api.post(f"/workflows/{unknown}/samples", files={"file": pdf}, data={"label": "W-9"})
    assert sample.status_code == 404
    assert api.get(f"/workflows/{unknown}").status_code == 404
    assert api.get(f"/documents/{unknown}").status_code == 404

    empty = api.post(f"/processing/{key}", files={"file": ("a.pdf", b"")})
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    text = api.post(f"/processing/{key}", files={"file": ("a.pdf", b"not a pdf at all")})
    assert text.status_code == 415
    assert all(name in text.json()["detail"] for name in ("PDF", "PNG", "JPEG", "TIFF", "ZIP"))
    wrong = api.post(f"/workflows/{key}/samples", files={"file": pdf}, data={"label": "Memo"})
    assert wrong.status_code == 422
    assert "Memo" in wrong.json()["detail"]
    missing = api.post(f"/workflows/{key}/samples", files={"file": pdf})
    assert missing.status_code == 422


def test_door_caps_the_upload_size(api: httpx.Client, serve_api) -> None:
    key = create_workflow(api)
    with serve_api(max_upload_bytes=4096) as small:
        png = make_png()
        assert small.post(f"/processing/{key}", files={"file": ("a.png", png)}).status_code == 202
        big = png + b"\0" * 5000  # passes the body cap, caught on the file itself
        response = small.post(f"/processing/{key}", files={"file": ("a.png", big)})
        assert response.status_code == 413
        huge = png + b"\0" * (2 * 1024 * 1024)  # refused by Content-Length before parsing
        response = small.post(f"/processing/{key}", files={"file": ("a.png", huge)})
        assert response.status_code == 413


def test_wait_answers_202_when_nothing_happens_in_time(api: httpx.Client) -> None:
    key = create_workflow(api)
    response = api.post(f"/processing/{key}?wait=1.5", files={"file": ("scan.png", make_png())})
    assert response.status_code == 202
    assert response.json()["status"] == "received"
    assert response.elapsed.total_seconds() >= 1.5


def test_train_produces_a_request(api: httpx.Client, topic_reader_factory) -> None:
    key = create_workflow(api)
    reader = topic_reader_factory(r"^training\.requested$")
    response = api.post(f"/workflows/{key}/train")
    assert response.status_code == 202
    request_id = response.json()["request_id"]
    _, event = reader.wait_for(lambda t, e: str(e.data.request_id) == request_id, timeout_s=30)
    assert str(event.data.workflow_id) == key
    assert api.post(f"/workflows/{uuid.uuid4()}/train").status_code == 404


def test_s3_down_is_503_and_the_document_is_marked_failed(
    api: httpx.Client, serve_api, api_settings: ApiSettings
) -> None:
    key = create_workflow(api)
    dead_s3 = api_settings.s3.model_copy(update={"endpoint_url": f"http://{HOST}:{free_port()}"})
    with serve_api(s3=dead_s3) as broken:
        response = broken.post(f"/processing/{key}", files={"file": ("a.pdf", make_pdf())})
    assert response.status_code == 503
    engine = create_engine(api_settings.database.url)
    try:
        with Session(engine) as session:
            query = select(Document).where(Document.workflow_id == uuid.UUID(key))
            [document] = session.scalars(query)
    finally:
        engine.dispose()
    assert (document.status, document.reason_code) == ("failed", "storage_unavailable")
    shown = api.get(f"/documents/{document.id}").json()
    assert shown["failure"]["reason_code"] == "storage_unavailable"
    assert api.get(f"/workflows/{key}/usage").json()["pages_reserved"] == 0  # its page given back


def test_zip_upload_is_accepted(api: httpx.Client, topic_reader_factory) -> None:
    key = create_workflow(api)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.pdf", make_pdf())
        zf.writestr("b.pdf", make_text_pdf(["three pages"], pages=3))
        zf.writestr("notes.txt", b"left to ingest, which dead-letters it")
    response = api.post(f"/processing/{key}", files={"file": ("batch.zip", archive.getvalue())})
    assert response.status_code == 202
    shown = api.get(f"/documents/{response.json()['document_id']}").json()
    assert shown["media_type"] == "application/zip"
    assert api.get(f"/workflows/{key}/usage").json()["pages_reserved"] == 4  # its members' pages


def test_the_door_refuses_what_ingest_would_refuse(api: httpx.Client, serve_api) -> None:
    """One intake rule: the API runs ingest's checks and answers with their reason codes."""
    key = create_workflow(api)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(600):
            zf.writestr(f"{i}.pdf", b"x")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("__MACOSX/._a.pdf", b"clutter")
    cases = {
        "corrupt_file": make_corrupt_pdf(),
        "encrypted_file": make_encrypted_pdf(),
        "zip_bomb": bomb.getvalue(),
        "empty_archive": empty.getvalue(),
    }
    for code, data in cases.items():
        for path in (f"/processing/{key}", f"/workflows/{key}/samples"):
            response = api.post(path, files={"file": ("f.pdf", data)}, data={"label": "Invoice"})
            assert response.status_code == 422, (code, path, response.text)
            assert f"({code})" in response.json()["detail"], response.text
    with serve_api(max_pages=2) as capped:
        # Past the page cap is not refused: the cap is on the pages read, which the docs state.
        response = capped.post(f"/processing/{key}", files={"file": ("a.pdf", make_text_pdf(["x"], pages=3))})
        assert response.status_code == 202, response.text
        assert (
            capped.get(f"/workflows/{key}/openapi.json").json()["info"]["x-docroute-limits"]["max_pages_read"]
            == 2
        )
    batch = api.post(
        f"/workflows/{key}/batches",
        files=[("files", ("bad.pdf", make_corrupt_pdf())), ("files", ("good.pdf", make_pdf()))],
        data={"label": "Invoice"},
    ).json()
    assert [(r["filename"], r["reason_code"]) for r in batch["rejected"]] == [("bad.pdf", "corrupt_file")]


def test_probes_and_metrics(api: httpx.Client) -> None:
    assert api.get("/healthz").json()["alive"] is True  # the projection's detail: test_api_projection
    ready = api.get("/readyz").json()
    assert (ready["ready"], ready["checks"]) == (True, {"database": True, "broker": True, "s3": True})
    assert "docroute_api_uploads_total" in api.get("/metrics").text
