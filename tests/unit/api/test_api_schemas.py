"""Request validation: labels, thresholds, document spec, relevant pages; response aliases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.api.documents.schemas import Classification
from services.api.workflows.schemas import (
    DocumentSpecIn,
    DocumentSpecPatch,
    DocumentSpecPublic,
    WorkflowCreate,
    normalize_relevant_pages,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  ALL ", None),
        ("first 2", "first 2"),
        ("First   3", "first 3"),
        ("first2", "first 2"),
        ("last 1", "last 1"),
        ("1,3", "1,3"),
        (" 1, 3-4 ", "1,3-4"),
        ("1-3", "1-3"),
        ("5-", "5-"),
        ("2-2", "2"),
    ],
)
def test_relevant_pages_accepted(value: str | None, expected: str | None) -> None:
    assert normalize_relevant_pages(value) == expected


@pytest.mark.parametrize(
    "value", ["first", "first 0", "0", "3-1", "1,,2", "a", "1;2", "-3", "pages 1", "first -1"]
)
def test_relevant_pages_rejected(value: str) -> None:
    with pytest.raises(ValueError):
        normalize_relevant_pages(value)


def test_document_spec_defaults_and_choices() -> None:
    spec = DocumentSpecIn()
    assert spec.model_dump() == {
        "cropping": False,
        "character_set": "latin",
        "text_style": "printed",
        "relevant_pages": None,
        "ocr_engine": "tesseract",
    }
    with pytest.raises(ValidationError):
        DocumentSpecIn(character_set="cyrillic")
    with pytest.raises(ValidationError):
        DocumentSpecIn(ocr_engine="easyocr")
    with pytest.raises(ValidationError, match="relevant_pages"):
        DocumentSpecIn(relevant_pages="every other page")
    with pytest.raises(ValidationError):
        DocumentSpecIn(colour=True)


def test_a_text_style_that_cannot_be_honoured_is_refused() -> None:
    """'handwritten' (print ignored) needs telling print from handwriting: refused, not stored and
    ignored. 'both' is read with PaddleOCR, which reads handwriting."""
    with pytest.raises(ValidationError, match="cannot be honoured: ignoring the printed text"):
        DocumentSpecIn(text_style="handwritten")
    with pytest.raises(ValidationError, match="cannot be honoured"):
        DocumentSpecPatch(text_style="handwritten")
    for style in ("printed", "both"):
        assert DocumentSpecIn(text_style=style).text_style == style
        assert DocumentSpecPatch(text_style=style).text_style == style
    assert DocumentSpecPatch().text_style is None


def test_a_stored_text_style_is_still_shown() -> None:
    """A workflow stored with 'handwritten' before it was refused is shown, not a 500."""
    stored = {"cropping": False, "character_set": "latin", "text_style": "handwritten"}
    assert DocumentSpecPublic.model_validate(stored).text_style == "handwritten"


def test_workflow_defaults() -> None:
    body = WorkflowCreate(name=" Invoices ", labels=["invoice", "receipt"])
    assert body.name == "Invoices"
    assert (body.threshold, body.class_thresholds, body.retrain_every) == (0.8, {}, 20)
    assert body.document_spec == DocumentSpecIn()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"labels": ["only"]}, "at least 2"),
        ({"labels": ["a", "a"]}, "not unique"),
        ({"labels": ["Tax Form", "tax-form"]}, "not unique"),
        ({"labels": ["ok", "!!!"]}, "no letters or digits"),
        ({"labels": ["ok", ""]}, "at least 1 character"),
        ({"labels": ["ok", "x" * 101]}, "at most 100"),
        ({"threshold": 1.5}, "less than or equal to 1"),
        ({"class_thresholds": {"a": 0.9, "zzz": 0.5}}, "zzz"),
        ({"class_thresholds": {"a": -0.1}}, "greater than or equal to 0"),
        ({"retrain_every": 0}, "greater than or equal to 1"),
        ({"name": ""}, "at least 1 character"),
        ({"unexpected": 1}, "Extra inputs"),
    ],
)
def test_workflow_rejects(fields: dict[str, object], message: str) -> None:
    body: dict[str, object] = {"name": "w", "labels": ["a", "b"], **fields}
    with pytest.raises(ValidationError, match=message):
        WorkflowCreate.model_validate(body)


def test_classification_serialises_as_class() -> None:
    item = Classification.model_validate({"class": "invoice", "confidence": 0.9})
    assert item.model_dump() == {"class": "invoice", "confidence": 0.9}
    assert Classification(document_class="x", confidence=0.1).document_class == "x"
