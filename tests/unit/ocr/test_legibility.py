"""Whether a text layer reads as language: garbled layers (broken font encodings) are OCR'd."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from PIL import Image

from docroute.ocr_result import EngineName, OcrLanguage, OcrWord
from services.ocr.core.extract import extract_document
from services.ocr.core.legibility import MIN_JUDGED_TOKENS, classify_token, garbled_reason
from tests.factories.documents import GERMAN_INVOICE_LINES as LINES
from tests.factories.documents import make_garbled_text_pdf, make_text_pdf
from tests.factories.latin_languages import SAMPLES

ENGLISH = (
    "The committee met on Tuesday to discuss the budget for the coming year. After a long debate, "
    "the members agreed to raise the contribution by 4 % and to publish the minutes on the website "
    "within two weeks. The chair thanked everyone for their work and closed the meeting at 18:30."
)


def _glyph_ids(text: str) -> str:
    """``text`` as a font without a ToUnicode map yields it: each character replaced by the
    character 32 + the glyph's number in order of first use, spaces kept."""
    numbers: dict[str, int] = {}
    return "".join(
        char if char.isspace() else chr(33 + numbers.setdefault(char, len(numbers)) % 94) for char in text
    )


def _latin1(text: str) -> str:
    """``text`` with every letter replaced by a Latin-1 letter or sign ("Ĳ¹ÌÅ")."""
    signs = "Ĳ¹ÌÅ¾Ã¼Ð§©ª«¬®¯°±²³´µ¶·¸º»¼½"
    return "".join(signs[ord(char) % len(signs)] if char.isalpha() else char for char in text)


def _private_use(text: str) -> str:
    """``text`` as a symbol font's Private Use Area code points."""
    return "".join(chr(0xF000 + ord(char)) if char.isalnum() else char for char in text)


def _spaced(text: str) -> str:
    """Latin-1 mojibake one character per token, as some layers put a space between every glyph."""
    return " ".join(_latin1(text).replace(" ", ""))


@pytest.mark.parametrize("garble", [_glyph_ids, _latin1, _private_use, _spaced])
def test_garbled_layers_do_not_read_as_language(garble) -> None:  # type: ignore[no-untyped-def]
    assert garbled_reason(ENGLISH) is None
    reason = garbled_reason(garble(ENGLISH))
    assert reason is not None and "does not read as language" in reason


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_every_latin_language_reads_as_language(language: str) -> None:
    text = "\n".join(SAMPLES[language] * 3)
    assert garbled_reason(text) is None
    # Judged, not waved through as short: the garbled same text fails.
    assert garbled_reason(_latin1(text)) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Счёт-фактура № 4711 от 2 мая 2024 года. Оплата в течение тридцати дней после получения товара, "
        "просим указать номер счёта при оплате. Поставщик: ООО «Северный ветер», Москва.",
        "Τιμολόγιο αριθμός 4711 της 2ας Μαΐου 2024. Η πληρωμή γίνεται εντός τριάντα ημερών από την "
        "παραλαβή των αγαθών, παρακαλούμε αναφέρετε τον αριθμό του τιμολογίου κατά την πληρωμή.",
        "請求書番号 4711 発行日 2024年5月2日\nお支払いは受領後三十日以内にお願いします。\n"
        "株式会社 北風 東京都千代田区 1-2-3\n小計 12,000円 消費税 1,200円 合計 13,200円\n" * 4,
    ],
    ids=["cyrillic", "greek", "japanese"],
)
def test_other_scripts_read_as_language(text: str) -> None:
    assert garbled_reason(text * 2) is None


def test_tables_of_numbers_forms_and_contents_pages_read_as_language() -> None:
    table = "\n".join(
        f"{row} 2024-05-{row:02d} {row * 17.5:,.2f} {row * 3} % EUR 1.{row:03d},50" for row in range(1, 30)
    )
    form = "Your name: Your SSN or ITIN: Contributions\nCode Amount\n" + ". 00\n" * 40 + "400 401 402"
    contents = "\n".join(
        f"{n}.{m} Problem Statement . . . . . . . . . . . . . . {n * 10 + m}"
        for n in range(1, 6)
        for m in range(1, 5)
    )
    for text in (table, form, contents):
        assert garbled_reason(text) is None, text[:80]


def test_short_layers_are_not_judged() -> None:
    short = _glyph_ids("Scanned by CamScanner on 2024-05-02, page 1 of 3 invoice copy")
    assert len(short.split()) < MIN_JUDGED_TOKENS
    assert garbled_reason(short) is None


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("Rechnung,", "word"),
        ("vlk", "word"),  # Czech: syllabic l
        ("iPhone", "word"),
        ("z.B.", "word"),
        ("1.240,50", "number"),
        ("2016-01-19", "number"),
        ("A4", "neither"),
        (".....", "neither"),
        ("bdc=egf`eaf", "junk"),
        ("Ĳ¹ÌÅ", "junk"),
        ("\uf041\uf042", "junk"),
        ("Привет", "word"),
        ("ПрuвeT", "junk"),  # Cyrillic and Latin letters in one word
        ("#", "junk"),
        ("€", "neither"),
        ("¹", "junk"),
        ("☐", "neither"),
        ("\uf0b7", "junk"),  # a Symbol font's bullet in the Private Use Area
    ],
)
def test_tokens(token: str, kind: str) -> None:
    assert classify_token(token) == kind


@dataclass
class FakeEngine:
    """Records the pages it is given and reads one word from each."""

    name: EngineName = "tesseract"
    seen: list[OcrLanguage] = field(default_factory=list)

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        self.seen.append(language)
        return [OcrWord(text="Rechnung", confidence=0.9, box=(1, 2, 3, 4), line=0)]


def test_a_pdf_with_a_garbled_text_layer_is_rendered_and_ocred() -> None:
    engine = FakeEngine()
    kwargs = {
        "document_id": "d",
        "relevant_pages": None,
        "cropping": False,
        "language": "latin",
        "max_pages": 5,
    }
    clean = extract_document(make_text_pdf(LINES, pages=2), "application/pdf", engine=engine, **kwargs)  # type: ignore[arg-type]
    assert [page.source for page in clean.pages] == ["text-layer", "text-layer"] and engine.seen == []
    assert all(page.text_layer_rejected is None for page in clean.pages)

    garbled = extract_document(
        make_garbled_text_pdf(LINES, pages=2), "application/pdf", engine=engine, **kwargs
    )  # type: ignore[arg-type]
    assert engine.seen == ["latin", "latin"]
    assert [page.source for page in garbled.pages] == ["tesseract", "tesseract"]
    assert [page.text for page in garbled.pages] == ["Rechnung", "Rechnung"]
    for page in garbled.pages:
        assert (
            page.text_layer_rejected is not None and "does not read as language" in page.text_layer_rejected
        )
