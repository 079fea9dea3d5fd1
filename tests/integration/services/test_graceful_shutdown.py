"""SIGTERM finishes the message in flight and commits it: nothing lost, nothing done twice."""

from __future__ import annotations

import random
import time

from docroute import topics
from tests.factories.documents import document_lines, make_scanned_tiff
from tests.factories.workflows import publish_workflow
from tests.integration.services.test_ocr_service import _submit


def test_stop_during_ocr_finishes_and_commits(
    start_docroute_service, producer, blobstore, topic_reader_factory
):
    rng = random.Random(9)
    workflow_id = publish_workflow(producer, labels=["a", "b"], ocr_engine="paddle")
    ocr = start_docroute_service("ocr", DOCROUTE_WARM_ENGINES='["paddle"]')
    reader = topic_reader_factory(r"^document\.text-extracted$")
    # Two PaddleOCR pages take several seconds: long enough to stop the service mid-way.
    tiff = make_scanned_tiff([document_lines("invoice", rng), document_lines("payslip", rng)])
    document_id = _submit(producer, blobstore, workflow_id, tiff, "image/tiff", pages=2)
    time.sleep(3)
    ocr.terminate()
    _, event = reader.wait_for(lambda t, e: e.subject == document_id, timeout_s=90)
    assert event.data.pages_used == [0, 1]
    ocr.process.wait(60)

    start_docroute_service("ocr", DOCROUTE_WARM_ENGINES='["paddle"]')
    marker = _submit(producer, blobstore, workflow_id, make_scanned_tiff([["Marker page"]]), "image/tiff")
    reader.wait_for(lambda t, e: e.subject == marker, timeout_s=90)
    assert (
        len(reader.matching(lambda t, e: t == topics.DOCUMENT_TEXT_EXTRACTED and e.subject == document_id))
        == 1
    )
