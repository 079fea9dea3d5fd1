"""The OCR result document and how page text is assembled from words."""

from __future__ import annotations

import json

import pydantic
import pytest

from docroute.ocr_result import (
    OcrDocument,
    OcrPage,
    OcrWord,
    mean_confidence,
    words_from_lines,
    words_to_text,
)


def _word(text: str, line: int = 0, confidence: float = 0.9) -> OcrWord:
    return OcrWord(text=text, confidence=confidence, box=(0, 0, 10, 10), line=line)


def _document() -> OcrDocument:
    words = (_word("Rechnung", 0, 0.8), _word("Nr.", 1, 1.0), _word("42", 1, 0.6))
    return OcrDocument(
        document_id="doc-1",
        engine="tesseract",
        language="latin",
        page_count=3,
        pages=(
            OcrPage(
                index=0,
                width=1654,
                height=2339,
                source="text-layer",
                text="Über uns",
                mean_confidence=1.0,
                words=(_word("Über", confidence=1.0),),
            ),
            OcrPage(
                index=2,
                width=1600,
                height=2200,
                source="tesseract",
                cropped=True,
                text=words_to_text(words),
                mean_confidence=mean_confidence(words),
                words=words,
            ),
        ),
    )


def test_json_round_trip_keeps_everything() -> None:
    document = _document()
    data = document.to_json()
    assert OcrDocument.from_json(data) == document
    assert OcrDocument.from_json(data.decode()) == document


def test_json_has_the_documented_fields() -> None:
    payload = json.loads(_document().to_json())
    assert payload["schema_version"] == 1
    assert set(payload) == {"schema_version", "document_id", "engine", "language", "page_count", "pages"}
    page = payload["pages"][1]
    assert set(page) == {
        "index",
        "width",
        "height",
        "source",
        "cropped",
        "text",
        "mean_confidence",
        "words",
        "escalation",  # null: the first engine's read was kept
    }
    assert page["escalation"] is None
    assert page["words"][0] == {"text": "Rechnung", "confidence": 0.8, "box": [0, 0, 10, 10], "line": 0}


def test_a_rejected_text_layer_is_written_only_when_a_page_had_one() -> None:
    """Readers of the release before the field refuse unknown fields (a rolling update): the
    JSON of a page whose text layer was used is what they read."""
    document = _document()
    rejected = document.model_copy(
        update={"pages": (document.pages[0].model_copy(update={"text_layer_rejected": "garbled"}),)}
    )
    payload = json.loads(rejected.to_json())

    assert payload["pages"][0]["text_layer_rejected"] == "garbled"
    assert "text_layer_rejected" not in json.loads(document.to_json())["pages"][1]
    assert OcrDocument.from_json(rejected.to_json()) == rejected


def test_json_is_utf8() -> None:
    assert "Über".encode() in _document().to_json()


def test_text_joins_pages_with_a_blank_line() -> None:
    assert _document().text == "Über uns\n\nRechnung\nNr. 42"


def test_from_json_rejects_invalid_documents() -> None:
    payload = json.loads(_document().to_json())
    payload["pages"][0]["source"] = "magic"
    with pytest.raises(pydantic.ValidationError):
        OcrDocument.from_json(json.dumps(payload))


def test_confidence_must_be_between_zero_and_one() -> None:
    with pytest.raises(pydantic.ValidationError):
        OcrWord(text="x", confidence=1.5, box=(0, 0, 1, 1))


def test_mean_confidence_of_no_words_is_zero() -> None:
    assert mean_confidence([]) == 0.0
    assert mean_confidence([_word("a", confidence=0.5), _word("b", confidence=1.0)]) == 0.75


def test_words_to_text_puts_lines_on_lines_and_joins_cjk_without_spaces() -> None:
    words = [
        _word("請求", 0),
        _word("書", 0),
        _word("No.", 1),
        _word("42", 1),
        _word("合計", 2),
        _word("¥1,000", 2),
    ]
    assert words_to_text(words) == "請求書\nNo. 42\n合計 ¥1,000"


def test_words_from_lines_splits_boxes_by_characters() -> None:
    words = words_from_lines([("Total due", 0.9, (100.0, 10.0, 190.0, 40.0))])
    assert [w.text for w in words] == ["Total", "due"]
    assert words[0].box == (100, 10, 150, 40)
    assert words[1].box == (160, 10, 190, 40)
    assert {w.confidence for w in words} == {0.9}


def test_words_from_lines_keeps_boxes_of_one_row_on_one_line() -> None:
    lines = [
        ("Printer toner", 0.9, (100.0, 100.0, 300.0, 130.0)),
        ("$298.20", 0.8, (500.0, 102.0, 600.0, 131.0)),
        ("Subtotal", 0.95, (100.0, 150.0, 220.0, 180.0)),
    ]
    words = words_from_lines(lines)
    assert [w.line for w in words] == [0, 0, 0, 1]
    assert words_to_text(words) == "Printer toner $298.20\nSubtotal"
