"""Kodak patch-code separator sheets (issue 8): the share of patch sheets read, the pages of real
documents wrongly read as one, and what reading costs per page (prints figures; not a test).

Run from the repository root once the corpus is built (`bench/README.md`)::

    nice -n 10 .venv/bin/python -m bench.patch_sheets [--docs 60] [--max-doc-pages 10] [--seed 1]

Real pages: the first ``--max-doc-pages`` pages of ``--docs`` corpus PDFs of every kind, scanned
as `bench/splitting.py` scans them (200 dpi grey, paper tone, noise, dust). Patch sheets: each of
the six patches drawn to Kodak's specification (`tests/factories/patch_sheets.py`), fed along
the leading edge or end first, skewed -2..2 degrees, 0.8-4 in long, scanned the same way. Both
go through the OCR service's own `find_separator`; the patch reader's own CPU is timed apart.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image

from bench._realdocs import load_manifest
from bench.corpus.build import DEFAULT_OUT
from bench.splitting import scan, scanned
from services.ocr.core.splitting import find_separator, measured, read_sheet_patch
from tests.factories.patch_sheets import PATTERNS, patch_sheet


def real_pages(corpus: Path, docs: int, max_pages: int, seed: int) -> list[Image.Image]:
    entries = [
        e for e in load_manifest() if e["media_type"] == "application/pdf" and (corpus / e["path"]).exists()
    ]
    random.Random(seed).shuffle(entries)
    pages: list[Image.Image] = []
    for n, entry in enumerate(entries[:docs]):
        pages.extend(scan(corpus, entry, max_pages, seed + n))
    return pages


def sheets(seed: int) -> list[tuple[str, Image.Image]]:
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    out = []
    for patch in sorted(PATTERNS):
        for end_fed in (False, True):
            for _ in range(4):
                sheet = patch_sheet(
                    patch,
                    seed=rng.randrange(1000),
                    end_fed=end_fed,
                    skew_deg=rng.uniform(-2, 2),
                    length_in=rng.uniform(0.8, 4.0),
                )
                out.append((patch, scanned(sheet, noise)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--docs", type=int, default=60)
    parser.add_argument("--max-doc-pages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    pages = real_pages(args.corpus, args.docs, args.max_doc_pages, args.seed)
    started = time.process_time()
    found = [find_separator(i, page) for i, page in enumerate(pages)]
    separator_cpu = time.process_time() - started
    grey = [measured(page) for page in pages]
    started = time.process_time()
    false_patches = sum(read_sheet_patch(g) is not None for g in grey)
    patch_cpu = time.process_time() - started
    sheet_list = sheets(args.seed)
    read = sum(
        (s := find_separator(0, image)) is not None and s.code == f"PATCH {patch}"
        for patch, image in sheet_list
    )
    wrong = sum(
        (s := find_separator(0, image)) is not None and s.code != f"PATCH {patch}"
        for patch, image in sheet_list
    )
    print(f"real pages: {len(pages)} of {args.docs} corpus PDFs (seed {args.seed})")
    print(f"  read as a patch sheet: {false_patches}; any separator: {sum(s is not None for s in found)}")
    print(
        f"  find_separator {1000 * separator_cpu / len(pages):.1f} ms CPU/page, of which the patch reader "
        f"{1000 * patch_cpu / len(pages):.1f} ms"
    )
    print(f"patch sheets: {len(sheet_list)} (6 patches x 2 feeds x 4; skew -2..2 deg, 0.8-4 in long)")
    print(f"  read right: {read} ({read / len(sheet_list):.3f}); read as another code: {wrong}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
