"""OCR seconds of a long scan read whole against read until the classifier has its text (prints
figures; not a test).

Run from the repository root (about 2 minutes of one core for 50 pages)::

    .venv/bin/python -m bench.ocr_pages_read [--pages 50] [--budget 20000] [--json PATH]

One generated multi-page TIFF scan (flat grey pages of dense printed text, about 3,000
characters a page, like a contract's) goes through the OCR service's own core
(`services.ocr.core.extract.extract_document`, Tesseract, one thread) twice in this process:
every page (`text_budget=None`, what OCR did before, and what a workflow with relevant_pages
"1-" still gets) and pages until the text reaches the budget (`DOCROUTE_MAX_TEXT_CHARS`, the
classifier's 20,000 characters: the default for a workflow without relevant_pages). Time is CPU
seconds of this process, which a busy machine disturbs less than wall time (both printed).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

if __package__ in (None, ""):  # run as a script: make `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.ocr.adapters import build_engine
from services.ocr.core.extract import extract_document
from tests.factories.documents import DOCUMENT_KINDS, document_lines, make_scanned_tiff

LINES_PER_PAGE = 44
LINE_CHARS = 72


def _dense_page(rng: random.Random) -> list[str]:
    """About 3,000 characters of the factories' business text, wrapped to full lines."""
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < LINES_PER_PAGE * LINE_CHARS:
        words.extend(" ".join(document_lines(rng.choice(DOCUMENT_KINDS), rng)).split())
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > LINE_CHARS:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return lines[:LINES_PER_PAGE]


def _read(data: bytes, engine: Any, budget: int | None) -> dict[str, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    document = extract_document(
        data,
        "image/tiff",
        document_id="long-scan",
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=engine,
        max_pages=200,
        text_budget=budget,
    )
    return {
        "pages_read": len(document.pages),
        "text_chars": len(document.text),
        "cpu_s": round(time.process_time() - cpu, 1),
        "wall_s": round(time.perf_counter() - wall, 1),
        "text": document.text,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--budget", type=int, default=20_000, help="characters the classifier reads")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(50)
    data = make_scanned_tiff([_dense_page(rng) for _ in range(args.pages)], font_px=26)
    engine = build_engine("tesseract")
    engine.load()
    load_before = [round(v, 2) for v in os.getloadavg()]
    until = _read(data, engine, args.budget)
    whole = _read(data, engine, None)
    same = until.pop("text")[: args.budget] == whole.pop("text")[: args.budget]
    load_after = [round(v, 2) for v in os.getloadavg()]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"## OCR of one {args.pages}-page scan (Tesseract, one thread), {date}")
    print(f"{os.cpu_count()} cores; load average before {load_before}, after {load_after}\n")
    print("| read | pages read | characters | CPU s | wall s |")
    print("|---|---|---|---|---|")
    for name, row in (
        ("every page (before; relevant_pages '1-')", whole),
        (f"until {args.budget} characters", until),
    ):
        print(f"| {name} | {row['pages_read']} | {row['text_chars']} | {row['cpu_s']} | {row['wall_s']} |")
    print(f"\nCPU until budget / every page: {until['cpu_s'] / whole['cpu_s']:.2f}")
    print(f"the classifier's first {args.budget} characters identical: {same}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"whole": whole, "until_budget": until, "same_text": same, "load": [load_before, load_after]},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
