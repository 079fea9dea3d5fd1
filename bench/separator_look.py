"""What splitting at separator sheets costs a scanned file of a few pages (prints figures; not a
test).

Run from the repository root (under a minute)::

    .venv/bin/python -m bench.separator_look [--rounds 3]

A `separator` workflow's PDF without a text layer of up to 10 pages (a phone scanner app's file,
or a short scanned stack) is looked at by the OCR service's photo splitter, page by page at the
detection resolution, for several documents on one page and for separator sheets
(`services.ocr.photos.documents_on_pages`). Where no page holds two documents the stack splitter
divides the file at the sheets found; until e43f6ea it rendered and searched every page again
(`services.ocr.stacks._separators`). Both looks run here on the same generated 8-page scan (three
two-page documents, a blank sheet after each of the first two), in this process, alternating,
against Tesseract reading one of its pages: CPU per page, before (both looks) and now (one).
Generated pages hold less text than real scans, so Tesseract's time here is low (real scanned
pages: 1.3-2.9 CPU-s, bench/README.md) and the shares are upper bounds.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

if __package__ in (None, ""):  # run as a script: make `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.ocr.adapters import EngineSet
from services.ocr.core.pdf import PdfFile
from services.ocr.core.splitting import DETECT_DPI
from services.ocr.photos import OnPages, documents_on_pages
from services.ocr.stacks import _separators
from tests.factories.documents import document_lines
from tests.factories.stacks import blank_sheet, document_pages


def scanned_file() -> tuple[bytes, int]:
    """Three two-page documents, a blank sheet after each of the first two, as one image PDF."""
    rng = random.Random(1)
    pages = []
    for number, kind in enumerate(("invoice", "payslip", "invoice")):
        pages += document_pages([[document_lines(kind, rng)[:12]] * 2], seed=10 * number)
        pages += [blank_sheet(number)] if number < 2 else []
    buffer = io.BytesIO()
    pages[0].save(buffer, "PDF", resolution=200.0, save_all=True, append_images=pages[1:])
    return buffer.getvalue(), len(pages)


def cpu_per_page(look: Callable[[], object], pages: int, rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        look()
    return (time.process_time() - started) / rounds / pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data, pages = scanned_file()

    def photo_look() -> OnPages:
        with PdfFile(data) as pdf:
            return documents_on_pages(pdf.page_count, partial(pdf.render, dpi=DETECT_DPI), "separator")

    def stack_look() -> object:
        return _separators(data, "application/pdf", pages)

    photo_look(), stack_look()  # warm
    photo = stack = 0.0
    for _ in range(2):  # alternating, so that a busy moment falls on both
        photo += cpu_per_page(photo_look, pages, args.rounds) / 2
        stack += cpu_per_page(stack_look, pages, args.rounds) / 2
    engine = EngineSet().get("tesseract")
    with PdfFile(data) as pdf:
        image = pdf.render(0)
    engine.recognize(image, "latin")
    started = time.process_time()
    engine.recognize(image, "latin")
    ocr = time.process_time() - started
    separators = photo_look().separators
    print(f"{pages} pages, separator sheets found at {[s.page for s in separators or []]}")
    print(
        f"CPU ms a page: photo splitter's look {1000 * photo:.1f}, stack splitter's look {1000 * stack:.1f};"
    )
    print(f"Tesseract {1000 * ocr:.0f} ms a page of this file")
    print(
        f"before (both looks): {1000 * (photo + stack):.1f} ms = {100 * (photo + stack) / ocr:.1f} % of OCR;"
        f" now (one): {1000 * photo:.1f} ms = {100 * photo / ocr:.1f} %;"
        f" now / before {photo / (photo + stack):.2f}"
    )


if __name__ == "__main__":
    main()
