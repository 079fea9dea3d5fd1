"""Which engine reads a workflow's pages: its own, except that print and handwriting need Paddle."""

from __future__ import annotations

import pytest

from services.ocr.core.engine import reading_engine


@pytest.mark.parametrize("engine", [None, "tesseract", "paddle"])
def test_print_and_handwriting_are_read_by_paddle_whatever_the_engine(engine) -> None:
    assert reading_engine(engine, "both") == "paddle"


def test_printed_text_is_read_by_the_workflows_engine() -> None:
    assert reading_engine(None, "printed") == "tesseract"
    assert reading_engine("tesseract", "printed") == "tesseract"
    assert reading_engine("paddle", "printed") == "paddle"
