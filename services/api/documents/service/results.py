"""A document's full result: database row, members and the OCR JSON from S3."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from docroute.blobstore import BlobStore
from docroute.errors import BlobNotFoundError
from services.api.documents.models import Document
from services.api.documents.schemas import (
    Classification,
    Failure,
    OcrOut,
    OcrPageOut,
    PartPages,
    ProcessingResult,
    RouteInfo,
    SplitInfo,
)
from services.api.documents.service import records
from services.api.documents.service.explanations import explanation_view, review_view, unknown_reason

logger = logging.getLogger(__name__)


def classifications(probabilities: dict[str, float] | None) -> list[Classification]:
    """Confidence per class, most confident first (ties by class name)."""
    ranked = sorted((probabilities or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return [Classification(document_class=name, confidence=p) for name, p in ranked]


def ocr_view(ocr: dict[str, Any]) -> OcrOut:
    """Pages (text, words with boxes) of the OCR JSON the OCR service stored."""
    pages = [
        OcrPageOut(
            index=page["index"],
            width=page.get("width"),
            height=page.get("height"),
            source=page.get("source"),
            cropped=bool(page.get("cropped", False)),
            mean_confidence=page.get("mean_confidence"),
            text=page.get("text", ""),
            words=[
                {"text": w["text"], "confidence": w["confidence"], "box": list(w["box"])}
                for w in page.get("words", [])
            ],
        )
        for page in ocr.get("pages", [])
    ]
    return OcrOut(text="\n\n".join(p.text for p in pages), pages=pages)


def build_result(
    session: Session,
    blobstore: BlobStore,
    document: Document,
    *,
    expand: bool = True,
    children: list[Document] | None = None,
    fetched_ocr: Mapping[str, OcrOut | None] | None = None,
) -> ProcessingResult:
    """The result shape of GET /documents/{id}; `expand` adds the members (one level).

    `children`: the members, when the caller has read them already; `fetched_ocr`: OCR views
    read ahead by their ref (`load_ocr`), so the answer does not wait on S3 for them."""
    if children is None:
        children = records.members(session, document) if expand else []
    ocr_ref = document.ocr_ref
    ocr = (
        fetched_ocr[ocr_ref]
        if fetched_ocr and ocr_ref is not None and ocr_ref in fetched_ocr
        else _load_ocr(blobstore, document)
    )
    route = None
    if document.route:
        route = RouteInfo(
            route=document.route,
            topic=document.route_topic,
            reason=document.route_reason,
            threshold=document.threshold,
        )
    failure = None
    if document.status == "failed":
        failure = Failure(
            stage=document.failed_stage, reason_code=document.reason_code, reason=document.reason
        )
    return ProcessingResult(
        document_id=document.id,
        workflow_id=document.workflow_id,
        status=records.status_with(document, children),
        purpose=document.purpose,
        label=document.label,
        filename=document.filename,
        media_type=document.media_type,
        page_count=document.page_count,
        parent_id=document.parent_id,
        created_at=document.created_at,
        updated_at=document.updated_at,
        predicted_class=document.predicted_class,
        confidence=document.confidence,
        classifications=classifications(document.probabilities),
        route=route,
        model_version=document.model_version,
        unknown=document.unknown,
        unknown_reason=unknown_reason(document),
        explanation=explanation_view(document),
        review=review_view(document),
        ocr=ocr,
        failure=failure,
        members=[build_result(session, blobstore, c, expand=False) for c in children],
        pages=PartPages(first=document.first_page, last=document.last_page)
        if document.first_page is not None and document.last_page is not None
        else None,
        split=SplitInfo.model_validate(document.split) if document.split else None,
    )


def _load_ocr(blobstore: BlobStore, document: Document) -> OcrOut | None:
    if not document.ocr_ref:
        return None
    return load_ocr(blobstore, document.ocr_ref, document.id, document.workflow_id)


def load_ocr(blobstore: BlobStore, ocr_ref: str, document_id: Any, workflow_id: Any) -> OcrOut | None:
    """The OCR view stored under `ocr_ref`; None (and a warning) when it is gone."""
    try:
        return ocr_view(blobstore.get_json(ocr_ref))
    except BlobNotFoundError:
        logger.warning(
            "OCR JSON %s is gone", ocr_ref, extra={"document_id": document_id, "workflow_id": workflow_id}
        )
        return None
