"""How much text `document.text_extracted` carries follows the classifier's budget unless set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from docroute.contracts.schemas import load_schemas
from services.ocr.settings import MAX_INLINE_TEXT_CHARS, OcrSettings


def test_the_carried_text_follows_the_classifiers_budget_unless_set() -> None:
    assert OcrSettings().carried_text_chars() == OcrSettings().max_text_chars == 20_000
    # A raised budget is carried whole: classify then still reads no OCR JSON.
    assert OcrSettings(max_text_chars=50_000).carried_text_chars() == 50_000
    assert OcrSettings(max_text_chars=500_000).carried_text_chars() == MAX_INLINE_TEXT_CHARS
    assert OcrSettings(max_text_chars=50_000, inline_text_chars=0).carried_text_chars() == 0
    assert OcrSettings(inline_text_chars=8_000).carried_text_chars() == 8_000


def test_the_cap_is_the_schemas() -> None:
    text = load_schemas()[("document.text_extracted", 4)]["properties"]["text"]
    assert text["maxLength"] == MAX_INLINE_TEXT_CHARS
    with pytest.raises(ValidationError):
        OcrSettings(inline_text_chars=MAX_INLINE_TEXT_CHARS + 1)
