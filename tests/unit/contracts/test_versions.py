"""An event goes out as the oldest schema version that carries its fields (issue 8): a document
that is no part of a stack, a workflow that does not split, stay v1 for readers that know only v1."""

from __future__ import annotations

import json
import uuid

from docroute.contracts._generated import (
    DocumentClassified,
    DocumentRouted,
    DocumentSplit,
    DocumentTextExtracted,
    Part,
)
from docroute.contracts.schemas import load_schemas
from docroute.events import decode, encode, new_event, version_for

BLOB = {"ref": "s3://b/originals/x", "sha256": "0" * 64, "size": 3, "media_type": "application/pdf"}


def _routed(part: Part | None) -> DocumentRouted:
    return DocumentRouted(
        document_id=uuid.uuid4(),
        workflow_id=uuid.uuid4(),
        route="extract",
        topic="extract.invoice",
        document_class="invoice",
        confidence=0.9,
        threshold=0.8,
        model_version=1,
        reason="confident",
        probabilities={"invoice": 0.9, "letter": 0.1},
        blob=BLOB,
        ocr_ref="s3://b/ocr/x.json",
        page_count=2,
        part=part,
    )


def test_a_document_of_its_own_is_sent_as_v1_without_the_new_field() -> None:
    routed = _routed(None)
    assert version_for("document.routed", routed) == 1
    raw = json.loads(encode(new_event("document.routed", routed, source="router")))
    assert raw["dataschema"].endswith(":v1") and "part" not in raw["data"]
    v1_properties = set(load_schemas()[("document.routed", 1)]["properties"])
    assert set(raw["data"]) <= v1_properties


def test_a_part_is_sent_as_v2_and_read_back_with_its_pages() -> None:
    part = Part(parent_id=uuid.uuid4(), index=1, count=3, first_page=2, last_page=4)
    event = decode(encode(new_event("document.routed", _routed(part), source="router")))
    assert event.version == 2
    assert event.data.part == part


def _text(escalated_pages: list[int] | None) -> DocumentTextExtracted:
    return DocumentTextExtracted(
        document_id=uuid.uuid4(),
        workflow_id=uuid.uuid4(),
        purpose="processing",
        blob=BLOB,
        ocr_ref="s3://b/ocr/x.json",
        page_count=2,
        pages_used=[0, 1],
        sources=["tesseract", "paddle"],
        escalated_pages=escalated_pages,
        text_chars=10,
    )


def test_a_text_read_without_escalation_is_v1_as_published() -> None:
    """`escalated_pages` is a field v1 consumers refuse (additionalProperties false): only a text
    that sets it may need v2."""
    assert "escalated_pages" not in load_schemas()[("document.text_extracted", 1)]["properties"]
    raw = json.loads(encode(new_event("document.text_extracted", _text(None), source="ocr")))
    assert raw["dataschema"].endswith(":v1") and "escalated_pages" not in raw["data"]

    escalated = decode(encode(new_event("document.text_extracted", _text([1]), source="ocr")))
    assert escalated.version == 2
    assert escalated.data.escalated_pages == [1]


def test_a_value_a_newer_version_added_needs_that_version() -> None:
    """`splitting: auto` and a split's `mode: auto` are values v2 / v1 readers refuse (their enums
    lack them): only such events go out as the newer version."""
    split = {
        "document_id": str(uuid.uuid4()),
        "workflow_id": str(uuid.uuid4()),
        "page_count": 4,
        "documents": [
            {"document_id": str(uuid.uuid4()), "first_page": 0, "last_page": 1},
            {"document_id": str(uuid.uuid4()), "first_page": 2, "last_page": 3},
        ],
    }
    by_separator = DocumentSplit.model_validate(split | {"mode": "separator", "separators": []})
    by_model = DocumentSplit.model_validate(split | {"mode": "auto", "separators": []})

    assert version_for("document.split", by_separator) == 1
    assert "auto" not in load_schemas()[("document.split", 1)]["properties"]["mode"]["enum"]
    sent = decode(encode(new_event("document.split", by_model, source="ocr")))
    assert sent.version == 2 and sent.data.mode == "auto"


def test_a_part_with_a_boundary_confidence_is_v3_and_one_without_stays_v2() -> None:
    """The boundary model's confidence in a part's boundaries (`splitting: auto`) is v3 only: a
    separator part carries none and goes out as v2, as before."""
    part = Part(parent_id=uuid.uuid4(), index=0, count=2, first_page=0, last_page=1)
    text = _text(None).model_copy(update={"part": part})
    assert version_for("document.text_extracted", text) == 2
    doubtful = text.model_copy(update={"boundary_confidence": 0.61})
    event = decode(encode(new_event("document.text_extracted", doubtful, source="ocr")))
    assert event.version == 3 and event.data.boundary_confidence == 0.61
    assert "boundary_confidence" not in load_schemas()[("document.text_extracted", 2)]["properties"]


def test_a_text_carried_in_the_event_is_v4_and_one_without_stays_as_it_was() -> None:
    """The text classify reads rides in v4 only; an OCR service told not to carry it
    (`DOCROUTE_INLINE_TEXT_CHARS=0`) sends what v1-v3 readers know."""
    plain = _text(None)
    assert version_for("document.text_extracted", plain) == 1
    carried = plain.model_copy(update={"text": "INVOICE\nNo. 42"})
    event = decode(encode(new_event("document.text_extracted", carried, source="ocr")))
    assert event.version == 4 and event.data.text == "INVOICE\nNo. 42"
    assert "text" not in load_schemas()[("document.text_extracted", 3)]["properties"]
    # Without the text a part's boundary confidence still needs v3 only.
    part = Part(parent_id=uuid.uuid4(), index=0, count=2, first_page=0, last_page=1)
    assert (
        version_for(
            "document.text_extracted", plain.model_copy(update={"part": part, "boundary_confidence": 0.5})
        )
        == 3
    )


def _classified(unknown: bool, reason: str | None) -> DocumentClassified:
    return DocumentClassified(
        document_id=uuid.uuid4(),
        workflow_id=uuid.uuid4(),
        purpose="processing",
        blob=BLOB,
        ocr_ref="s3://b/ocr/x.json",
        page_count=1,
        model_version=2,
        embedder_id="usem3",
        probabilities={"invoice": 0.9, "letter": 0.1},
        predicted_class="invoice",
        confidence=0.9,
        unknown=unknown,
        unknown_reason=reason,
    )


def test_only_an_unknown_document_with_its_reason_needs_v4() -> None:
    assert version_for("document.classified", _classified(False, None)) == 1
    stated = "worded like none of the classes in its language: novelty 0.81, above the limit 0.42"
    event = decode(encode(new_event("document.classified", _classified(True, stated), source="classify")))
    assert event.version == 4 and event.data.unknown_reason == stated
