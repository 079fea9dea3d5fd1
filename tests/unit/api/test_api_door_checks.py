"""The door's checks and the result's pure parts: file checks, names, ranking, OCR view."""

from __future__ import annotations

import asyncio
import io

import pytest
from fastapi import UploadFile

from docroute.intake import safe_filename
from services.api.documents.service.door import check_file, read_capped
from services.api.documents.service.results import classifications, ocr_view
from services.api.errors import DomainError


def test_check_file() -> None:
    assert check_file(b"%PDF-1.7\n...") == "application/pdf"
    with pytest.raises(DomainError) as empty:
        check_file(b"")
    assert empty.value.status_code == 422
    with pytest.raises(DomainError) as other:
        check_file(b"GIF89a....")
    assert other.value.status_code == 415
    assert "PDF, PNG, JPEG, TIFF or a ZIP" in str(other.value.detail)


def test_read_capped_stops_past_the_limit() -> None:
    data = b"x" * 3_000_000
    assert asyncio.run(read_capped(UploadFile(io.BytesIO(data)), 3_000_000)) == data
    with pytest.raises(DomainError) as too_big:
        asyncio.run(read_capped(UploadFile(io.BytesIO(data)), 2_999_999))
    assert too_big.value.status_code == 413


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.pdf", "a.pdf"),
        ("dir/sub/a.pdf", "a.pdf"),
        ("C:\\scans\\a.png", "a.png"),
        ("../../etc/passwd", "passwd"),
        ("", "upload"),
        (None, "upload"),
        ("x" * 300 + ".pdf", ("x" * 300 + ".pdf")[-255:]),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected


def test_classifications_most_confident_first() -> None:
    ranked = classifications({"b": 0.2, "a": 0.2, "c": 0.6})
    assert [(c.document_class, c.confidence) for c in ranked] == [
        ("c", 0.6),
        ("a", 0.2),
        ("b", 0.2),
    ]
    assert classifications(None) == []


def test_ocr_view_keeps_text_and_words() -> None:
    word = {"text": "Total", "confidence": 0.9, "box": [1, 2, 3, 4], "line": 0}
    ocr = {
        "document_id": "d",
        "pages": [
            {
                "index": 0,
                "width": 10,
                "height": 20,
                "source": "text-layer",
                "cropped": False,
                "text": "Total",
                "words": [word],
                "mean_confidence": 0.9,
            },
            {"index": 2, "text": "Page three", "source": "paddle"},
        ],
    }
    view = ocr_view(ocr)
    assert view.text == "Total\n\nPage three"
    assert [p.index for p in view.pages] == [0, 2]
    assert view.pages[0].words[0].model_dump() == {
        "text": "Total",
        "confidence": 0.9,
        "box": [1, 2, 3, 4],
    }
    assert view.pages[1].words == []
