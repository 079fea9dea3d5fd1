"""`splitting: auto`: a stack divided where the workflow's boundary model sees a document begin.

Why in OCR and not in classify, which holds the classifier: the boundary model reads the text of
every page, so the stack has to be read whole before it can be divided, and each part needs its
own original (a PDF or TIFF of only its pages), as separator parts get: reading and cutting files
are what OCR does, and classify never touches a file. So OCR reads the stack once, asks the
version that serves the workflow (the one classify uses, followed from `model.published` like
classify does) where documents begin, and keeps each part's pages as read
(`ocr/<part>/kept.json`, deleted with the part). The parts then go the way separator parts go
(`document.received` v2 with `part`; read, classified and routed as documents of their own), and
reading a part takes its kept pages instead of reading them a second time: a page costs OCR 1-2
CPU-s, the boundary model well under a millisecond. The model's page view is TF-IDF
(docroute.classifier.boundary), so OCR loads no embedder for it.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from PIL import Image

from docroute.blobstore import BlobRef, BlobStore
from docroute.classifier.boundary import ARRAYS_FILE, METADATA_FILE, BoundaryModel
from docroute.classifier.errors import ModelArtifactError
from docroute.contracts._generated import DocumentReceived
from docroute.errors import BlobNotFoundError
from docroute.model_versions import ModelVersions
from docroute.ocr_result import OcrDocument, crop_key
from services.ocr.core.splitting import PageRange, parts_from_starts

logger = logging.getLogger(__name__)

# The stack read whole, and the photos' cut-outs by page index.
Reading = tuple[OcrDocument, dict[int, Image.Image]]


def kept_key(document_id: str) -> str:
    """Where a part's pages, read with its stack, wait for the part (under `ocr/<id>/`, which
    goes when the document is deleted)."""
    return f"ocr/{document_id}/kept.json"


class BoundaryModels:
    """The boundary model of the version serving each workflow, loaded from S3 once."""

    def __init__(self, versions: ModelVersions, store: BlobStore) -> None:
        self._versions = versions
        self._store = store
        self._cache: dict[tuple[str, int], BoundaryModel | None] = {}
        self._lock = threading.Lock()

    def live(self, workflow_id: str, as_of: datetime | None = None) -> tuple[int, BoundaryModel | None]:
        """(live version, its boundary model); (0, None) without a model, and None for a version
        that has none (trained before boundaries, or on samples that could not teach one).
        `as_of`: the time of the stack's event, as classify asks (`ModelVersions.live_or_catch_up`)."""
        live = self._versions.live_or_catch_up(workflow_id, as_of)
        if live is None or live.artifact_ref is None:
            return 0, None
        key = (workflow_id, live.version)
        with self._lock:
            if key in self._cache:
                return live.version, self._cache[key]
        prefix = BlobRef.parse(live.artifact_ref).key
        try:
            model: BoundaryModel | None = BoundaryModel.load(
                {name: self._store.get(prefix + name) for name in (ARRAYS_FILE, METADATA_FILE)}
            )
        except BlobNotFoundError:
            model = None
        except ModelArtifactError as exc:
            logger.warning(
                "boundary model of v%d unreadable: %s", live.version, exc, extra={"workflow_id": workflow_id}
            )
            model = None
        with self._lock:
            self._cache[key] = model
        return live.version, model


def split_key(stack_id: str) -> str:
    """Where a stack's division is recorded, written once."""
    return f"ocr/{stack_id}/split.json"


def auto_parts(
    doc: DocumentReceived,
    models: BoundaryModels,
    store: BlobStore,
    read: Callable[[], Reading],
    as_of: datetime | None = None,
) -> tuple[list[PageRange], list[float] | None, Reading] | None:
    """The parts the boundary model finds in a stack, how sure it was of each part's boundaries
    (`docroute.classifier.division.part_probabilities`) and the stack's reading; None when the
    workflow's version has no boundary model (the stack is then read as one document).

    The first division of a stack is recorded (written only if absent) and a redelivered stack
    is divided as recorded, so a version published in between never names other parts: each
    page stays in exactly one part, and no part is made twice. A division recorded before the
    confidences were gives None for them."""
    version, model = models.live(str(doc.workflow_id), as_of)
    if model is None:
        logger.warning(
            "splitting auto, but v%d has no boundary model: read as one document (train a version"
            " on multi-page samples)",
            version,
            extra={"document_id": str(doc.document_id), "workflow_id": str(doc.workflow_id)},
        )
        return None
    reading = read()
    texts = {page.index: page.text for page in reading[0].pages}
    # Pages past the page cap were not read: no text, so they stay with the part before them.
    division = model.division([texts.get(i, "") for i in range(doc.page_count)])
    parts = parts_from_starts(doc.page_count, division.starts)
    confidences: list[float] | None = division.confidences
    record = {"version": version, "starts": division.starts, "confidences": confidences}
    key = split_key(str(doc.document_id))
    if not store.put_if_absent(key, json.dumps(record).encode(), content_type="application/json"):
        found = store.get_json(key)
        parts = parts_from_starts(doc.page_count, [int(s) for s in found["starts"]])
        confidences = found.get("confidences")
    return parts, confidences, reading


def keep_readings(store: BlobStore, ids: list[str], parts: list[PageRange], reading: Reading) -> None:
    """Each part's pages as read with the stack, numbered from 0 as in its own original, and the
    cut-outs of its photos, stored for the part to take up."""
    result, crops = reading
    for document_id, pages in zip(ids, parts, strict=True):
        mine = [p for p in result.pages if p.index in pages.pages]
        for page in mine:
            if page.index in crops:
                store.put(
                    crop_key(document_id, page.index - pages.first),
                    _jpeg(crops[page.index]),
                    content_type="image/jpeg",
                )
        kept = result.model_copy(
            update={
                "document_id": document_id,
                "page_count": len(pages.pages),
                "pages": tuple(p.model_copy(update={"index": p.index - pages.first}) for p in mine),
            }
        )
        store.put(kept_key(document_id), kept.to_json(), content_type="application/json")


def kept_reading(store: BlobStore, document_id: str) -> OcrDocument | None:
    """A document's pages kept from its stack's reading, if they were."""
    try:
        return OcrDocument.from_json(store.get(kept_key(document_id)))
    except BlobNotFoundError:
        return None


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
