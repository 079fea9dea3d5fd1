"""Which real PDFs' text layers read as language (services/ocr/core/legibility.py), and what
reading the garbled ones by OCR costs and gives.

Scores the first ``--pages`` pages of every PDF of the real-document corpus
(``python -m bench.corpus.build``) that have a text layer by the old rule (``has_text_layer``),
prints the pages and documents the legibility check sends to OCR, the lowest scores of the pages
it keeps, and the check's time per page. Then reads each flagged document with
``extract_document`` (Tesseract) and prints, side by side, the old path (text layer taken) and the
new one (OCR'd): seconds and the share of words among the text's tokens.

    .venv/bin/python -m bench.text_layer_legibility [--pages 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from services.ocr.core import legibility
from services.ocr.core.extract import extract_document
from services.ocr.core.pdf import PdfFile, has_text_layer

CORPUS = Path.home() / ".cache" / "docroute-corpus"
MANIFEST = Path(__file__).parent / "corpus" / "manifest.json"


def word_share(text: str) -> float:
    """Share of the tokens of ``text`` that are words (legibility's notion)."""
    tokens = text.split()
    return sum(legibility.classify_token(token) == "word" for token in tokens) / max(len(tokens), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--pages", type=int, default=10, help="first pages scored per document")
    args = parser.parse_args()
    documents = [
        d for d in json.loads(MANIFEST.read_text())["documents"] if d["media_type"] == "application/pdf"
    ]
    print(f"load average {os.getloadavg()[0]:.1f}; {len(documents)} PDFs, first {args.pages} pages each")
    kept: list[tuple[float, str, int]] = []
    flagged: dict[str, list[tuple[int, float]]] = {}
    check_seconds, layer_pages = 0.0, 0
    for document in documents:
        path = args.corpus / document["path"]
        if not path.exists():
            continue
        try:
            pdf = PdfFile(path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - a corpus file PDFium cannot open is reported, not fatal
            print(f"  unreadable {document['id']}: {exc}")
            continue
        with pdf:
            for index in range(min(pdf.page_count, args.pages)):
                text = pdf.text_layer(index).text
                if not has_text_layer(text):
                    continue
                layer_pages += 1
                started = time.perf_counter()
                reason = legibility.garbled_reason(text)
                check_seconds += time.perf_counter() - started
                share, _ = legibility.legible_share(text)
                if reason is None:
                    kept.append((share, document["id"], index))
                else:
                    flagged.setdefault(document["id"], []).append((index, share))
    flagged_pages = sum(len(pages) for pages in flagged.values())
    print(
        f"text-layer pages {layer_pages}: sent to OCR {flagged_pages} in {len(flagged)} documents;"
        f" check {1000 * check_seconds / max(layer_pages, 1):.2f} ms/page"
    )
    for name, pages in flagged.items():
        print(f"  {name}: pages {[index for index, _ in pages]} scores {[round(s, 2) for _, s in pages]}")
    kept.sort()
    print(f"kept pages: median score {statistics.median(s for s, _, _ in kept):.2f}; lowest:")
    for share, name, index in kept[:8]:
        print(f"  {share:.2f} {name} page {index}")
    engine = _tesseract()
    print("flagged documents read by extract_document, first pages as the service does (Tesseract):")
    print("  document | pages | text layer s, word share | new path s, word share | sources")
    for name, pages in flagged.items():
        data = (args.corpus / "files" / name).read_bytes()
        indexes = [index for index, _ in pages]
        spec = ",".join(str(index + 1) for index in indexes)
        started = time.perf_counter()
        with PdfFile(data) as pdf:
            old_text = "\n\n".join(pdf.text_layer(index).text for index in indexes)
        old_seconds = time.perf_counter() - started
        started = time.perf_counter()
        result = extract_document(
            data,
            "application/pdf",
            document_id=name,
            relevant_pages=spec,
            cropping=False,
            language="latin",
            engine=engine,
            max_pages=args.pages,
        )
        new_seconds = time.perf_counter() - started
        sources = sorted({page.source for page in result.pages})
        print(
            f"  {name} | {len(indexes)} | {old_seconds:.2f}, {word_share(old_text):.2f}"
            f" | {new_seconds:.1f}, {word_share(result.text):.2f} | {sources}"
        )
        print(f"    now reads: {result.pages[0].text[:160]!r}")


def _tesseract():  # type: ignore[no-untyped-def]
    from services.ocr.adapters import TesseractEngine

    return TesseractEngine()


if __name__ == "__main__":
    main()
