"""The escalation rule's ink coverage, sampled to 2000 px by nearest neighbour (now) or bicubic
(before): values, decisions and CPU on real scans and generated photos (not a test).

Run from the repository root (about 2 s a page on 2 cores: Tesseract reads each page once)::

    .venv/bin/python -m bench.ink_cover [--receipts 40] [--photos 10]

`services.ocr.core.escalation.ink_covered` reads what share of a page's dark pixels lie in the
boxes of the words Tesseract found, on every page a Tesseract workflow OCRs; a page over 2000 px
a side is sampled down first. Bicubic took ~22 of its ~30 ms a 200-dpi page. Pages: the real
receipt scans of the corpus (bench/corpus, SROIE JPEGs, taken evenly; 1.3-4 Mpx) and its scanned
invoices (PNG), and generated phone photos (tests/factories: a page on a table, tilted,
uncropped), each brought to the OCR side as the service does. Printed: per set, the largest
difference between the two values, the pages whose decision (below 0.5: read again) differs,
and CPU ms a page of each (median of 5 calls).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image

from bench._realdocs import load_manifest
from bench.corpus.build import DEFAULT_OUT
from docroute.ocr_result import OcrWord
from services.ocr.adapters import TesseractEngine
from services.ocr.core.escalation import EscalationRule, ink_covered
from services.ocr.core.extract import MAX_OCR_SIDE
from tests.factories.documents import DOCUMENT_KINDS, document_lines, render_scanned_page

Cover = Callable[[Image.Image, Sequence[OcrWord]], float | None]


def bicubic_ink_covered(image: Image.Image, words: Sequence[OcrWord]) -> float | None:
    """The rule before: sampled down with Pillow's default (bicubic) resampling."""
    return ink_covered(image, words, Image.Resampling.BICUBIC)


def _cpu_ms(cover: Cover, image: Image.Image, words: Sequence[OcrWord]) -> float:
    times = []
    for _ in range(5):
        started = time.process_time()
        cover(image, words)
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def _pages(receipts: int, photos: int) -> list[tuple[str, str, Image.Image]]:
    entries = load_manifest()
    scans = [e for e in entries if e["media_type"].startswith("image/")]
    jpegs = [e for e in scans if e["media_type"] == "image/jpeg"]
    chosen = jpegs[:: max(len(jpegs) // receipts, 1)][:receipts] + [
        e for e in scans if e["media_type"] != "image/jpeg"
    ]
    pages = []
    for entry in chosen:
        image = Image.open(DEFAULT_OUT / entry["path"]).convert("RGB")
        pages.append((f"corpus {entry['kind']} ({entry['media_type']})", entry["id"], image))
    rng = random.Random(7)
    for i in range(photos):
        lines = document_lines(DOCUMENT_KINDS[i % len(DOCUMENT_KINDS)], rng)
        photo = render_scanned_page(lines, background=True, rotate_deg=rng.uniform(-7, 7), seed=i)
        pages.append(("generated photo", f"photo-{i}", photo))
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receipts", type=int, default=40, help="corpus receipt scans to read")
    parser.add_argument("--photos", type=int, default=10, help="generated phone photos to read")
    args = parser.parse_args()
    engine = TesseractEngine()
    engine.load("latin")
    rule = EscalationRule()
    rows: dict[str, list[tuple[float | None, float | None, float, float, int]]] = {}
    for group, name, image in _pages(args.receipts, args.photos):
        image.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.LANCZOS)  # as the service does
        words = engine.recognize(image, "latin")
        before, now = bicubic_ink_covered(image, words), ink_covered(image, words)
        row = (
            before,
            now,
            _cpu_ms(bicubic_ink_covered, image, words),
            _cpu_ms(ink_covered, image, words),
            max(image.size),
        )
        rows.setdefault(group, []).append(row)
        print(f"{name:40} {image.width}x{image.height} bicubic {before} nearest {now}", flush=True)
    print()
    print(
        "| pages | n | side px (median) | largest difference | decisions that differ (< 0.5) "
        "| CPU ms a page, bicubic / nearest |"
    )
    print("|---|---|---|---|---|---|")
    for group, values in rows.items():
        pairs = [(b, n) for b, n, *_ in values]
        diffs = [abs(b - n) for b, n in pairs if b is not None and n is not None]
        flips = sum(
            (b is not None and b < rule.min_ink_covered) != (n is not None and n < rule.min_ink_covered)
            for b, n in pairs
        )
        blank = sum((b is None) != (n is None) for b, n in pairs)
        side = statistics.median(v[4] for v in values)
        cpu_before, cpu_now = (statistics.median(v[k] for v in values) for k in (2, 3))
        print(
            f"| {group} | {len(values)} | {side:.0f} | {max(diffs, default=0.0):.3f} "
            f"| {flips} (blank differs: {blank}) | {cpu_before:.1f} / {cpu_now:.1f} |"
        )


if __name__ == "__main__":
    main()
