"""Tesseract, PaddleOCR and escalation (Tesseract, then Paddle for poorly read pages) on real
scanned receipts: accuracy and time per page (not a test).

Run from the repository root (about 12 s per receipt on 2 busy cores)::

    .venv/bin/python -m bench.ocr_escalation --sroie /work/.mirror/zzzDavid+ICDAR-2019-SROIE/repo \
        [-n 20] [--json PATH]

Data: ICDAR 2019 SROIE scanned shop receipts with their line transcriptions (`data/img/*.jpg`,
`data/box/*.csv`), from the git repository zzzDavid/ICDAR-2019-SROIE at commit
27be4271b251c256f695acbade9a801bffe85994 (repository MIT; the data for research use), read with
`git show` from a local clone. Receipts are taken evenly over the sorted list.

Per page and engine: word recall (the transcription's words among the words read, case-folded),
words found (its words of 3+ characters found in the text read with spaces removed: PP-OCR drops
many spaces), numbers found (the same for its words with digits: prices, dates, totals), seconds,
and the engine's mean confidence and the share of the page's ink its words cover, which the
escalation rule reads. Time is CPU seconds of the process (both engines run single-threaded, as
in the service), which a busy machine disturbs far less than wall time (also in the JSON). Each
engine reads every page once; each escalation rule is then computed from those reads:
Tesseract's read stands when its confidence and ink coverage pass the rule, else Paddle's (time:
both). `--photos N` adds N generated phone photos (tests/factories: a page on a table, tilted,
uncropped) of the five document kinds, their lines as the transcription.

`--wildreceipt REPO -m N` adds N real phone photos of receipts (WildReceipt's test split, mostly
handheld photos of US shop receipts, some Spanish, Italian, Croatian, Scandinavian; images
338x450 to 2448x3264), taken evenly over its `test.txt` from a local mirror of
jenashauryasikt/SD_internship at commit 5ba211ec23f54e6694e776a50da071e633e64577
(`wildreceipt/`, mmocr's KIE format; the repository states no licence for the data, mmocr lists
it as "N/A": read locally for measurement, not redistributed). Its transcription is per text box
with the spaces inside a box removed ("KOREANRESTAURANT"), so "words found" there counts boxes
(3+ characters) found in the text read with spaces removed, "numbers found" boxes with digits
(prices, dates, totals), and word recall means nothing. `--crop` cuts each such photo's page out
first (`crop_document`), as a workflow with cropping on reads it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np
from PIL import Image, ImageOps

from docroute.ocr_result import mean_confidence, words_to_text
from services.ocr.adapters import PaddleEngine, TesseractEngine
from services.ocr.core.crop import crop_document
from services.ocr.core.escalation import EscalationRule, ink_covered
from services.ocr.core.extract import MAX_OCR_SIDE
from tests.factories.documents import DOCUMENT_KINDS, document_lines, render_scanned_page

COMMIT = "27be4271b251c256f695acbade9a801bffe85994"
WILDRECEIPT_COMMIT = "5ba211ec23f54e6694e776a50da071e633e64577"
# (min_confidence, min_ink_covered) of the escalation rules tried, besides each engine alone.
RULES = ((0.75, 0.0), (0.8, 0.0), (0.85, 0.0), (0.0, 0.5), (0.7, 0.5), (0.75, 0.5), (0.8, 0.5), (0.8, 0.7))


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def _words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[\w.,:/#%()-]*\w", text.casefold()))


def _recall(truth: Counter[str], read: Counter[str]) -> float:
    total = sum(truth.values())
    return sum(min(n, read[w]) for w, n in truth.items()) / total if total else 1.0


def _found_in(truth: Counter[str], text: str) -> float:
    """Share of the words of 3+ characters found in ``text`` with its spaces removed: PP-OCR
    often drops the space between words (`TAXINVOICE`), which the token recall counts as two
    misses although every character is right."""
    squeezed = "".join(text.casefold().split())
    long = [w for w, n in truth.items() for _ in range(n) if len(w) >= 3]
    return sum(w in squeezed for w in long) / len(long) if long else 1.0


def _numbers(words: Counter[str]) -> Counter[str]:
    return Counter({w: n for w, n in words.items() if any(c.isdigit() for c in w)})


def _read(engine: TesseractEngine | PaddleEngine, image: Image.Image, truth: str) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    words = engine.recognize(image, "latin")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    text = words_to_text(words)
    return {
        "ink_covered": ink_covered(image, words),
        "s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "confidence": round(mean_confidence(words), 3),
        "text": text,
        **_scores(truth, text),
    }


def _scores(truth: str, text: str) -> dict[str, Any]:
    want, got = _words(truth), _words(text)
    return {
        "chars": len(text),
        "word_recall": round(_recall(want, got), 3),
        "words_found": round(_found_in(want, text), 3),
        "numbers_found": round(_found_in(_numbers(want), text), 3),
    }


def _summary(rows: list[dict[str, Any]], rule: EscalationRule) -> dict[str, float]:
    picked = []
    for row in rows:
        tess, paddle = row["tesseract"], row["paddle"]
        poor = rule.reason(tess["confidence"], tess["ink_covered"]) is not None
        chosen = dict(paddle) if poor else dict(tess)
        chosen["s"] = tess["s"] + (paddle["s"] if poor else 0.0)
        chosen["escalated"] = poor
        picked.append(chosen)
    n = len(picked)
    return {
        "word_recall": round(sum(p["word_recall"] for p in picked) / n, 3),
        "words_found": round(sum(p["words_found"] for p in picked) / n, 3),
        "numbers_found": round(sum(p["numbers_found"] for p in picked) / n, 3),
        "s_per_page": round(sum(p["s"] for p in picked) / n, 2),
        "escalated": round(sum(p["escalated"] for p in picked) / n, 3),
    }


def _line(engine: str, read: dict[str, Any]) -> str:
    covered = "blank" if read["ink_covered"] is None else f"{read['ink_covered']:.2f}"
    return (
        f"{engine} conf {read['confidence']:.2f} ink {covered}"
        f" words {read['word_recall']:.2f}/{read['words_found']:.2f}"
        f" numbers {read['numbers_found']:.2f} {read['s']:5.1f} CPU-s"
    )


def wildreceipt_photos(repo: Path, count: int, crop: bool) -> list[tuple[str, str, Image.Image, str]]:
    """``count`` photos of WildReceipt's test split, evenly over its list, each with its boxes'
    texts as the transcription (a photo whose file the mirror lacks is skipped)."""
    listed = _git(repo, "show", f"{WILDRECEIPT_COMMIT}:wildreceipt/test.txt").decode("utf-8").splitlines()
    entries = [json.loads(line) for line in listed if line.strip()]
    out = []
    for entry in entries[:: max(len(entries) // count, 1)][:count]:
        path = f"{WILDRECEIPT_COMMIT}:wildreceipt/{entry['file_name']}"
        try:
            raw = _git(repo, "show", path)
        except subprocess.CalledProcessError:
            continue
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(raw))).convert("RGB")
        if crop:
            image = Image.fromarray(crop_document(np.asarray(image)).image)
        truth = "\n".join(box["text"] for box in entry["annotations"] if box["text"].strip())
        out.append(("wildreceipt", Path(entry["file_name"]).stem[:9], image, truth))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sroie", type=Path, required=True, help="a clone of zzzDavid/ICDAR-2019-SROIE")
    parser.add_argument("-n", type=int, default=20, help="receipts to read")
    parser.add_argument("--wildreceipt", type=Path, help="a mirror of jenashauryasikt/SD_internship")
    parser.add_argument("-m", type=int, default=60, help="WildReceipt photos to read")
    parser.add_argument(
        "--crop", action="store_true", help="cut the page out of each WildReceipt photo first"
    )
    parser.add_argument("--photos", type=int, default=0, help="generated phone photos to read too")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    names = sorted(
        line.rsplit("/", 1)[-1][:-4]
        for line in _git(args.sroie, "ls-tree", "--name-only", f"{COMMIT}:data/img/").decode().split()
        if line.endswith(".jpg")
    )
    chosen = names[:: max(len(names) // args.n, 1)][: args.n] if args.n else []
    tesseract, paddle = TesseractEngine(), PaddleEngine()
    tesseract.load("latin")
    paddle.load()
    pages: list[tuple[str, str, Image.Image, str]] = []  # (set, name, image, transcription)
    for name in chosen:
        scan = Image.open(io.BytesIO(_git(args.sroie, "show", f"{COMMIT}:data/img/{name}.jpg")))
        box = _git(args.sroie, "show", f"{COMMIT}:data/box/{name}.csv").decode("utf-8", "replace")
        truth = "\n".join(line.split(",", 8)[-1] for line in box.splitlines() if line.count(",") >= 8)
        pages.append(("sroie", name, scan.convert("RGB"), truth))
    if args.wildreceipt:
        pages += wildreceipt_photos(args.wildreceipt, args.m, args.crop)
    rng = random.Random(7)
    for i in range(args.photos):
        lines = document_lines(DOCUMENT_KINDS[i % len(DOCUMENT_KINDS)], rng)
        photo = render_scanned_page(lines, background=True, rotate_deg=rng.uniform(-7, 7), seed=i)
        pages.append(("photo", f"photo-{i}", photo, "\n".join(lines)))
    rows = []
    for kind, name, image, truth in pages:
        image.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.LANCZOS)  # as the service does
        row: dict[str, Any] = {
            "set": kind,
            "page": name,
            "tesseract": _read(tesseract, image, truth),
            "paddle": _read(paddle, image, truth),
        }
        rows.append(row)
        print(f"{name:9} " + " | ".join(_line(e, row[e]) for e in ("tesseract", "paddle")), flush=True)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for kind in sorted({row["set"] for row in rows}):
        subset = [row for row in rows if row["set"] == kind]
        what = {
            "sroie": "SROIE receipts, real scans",
            "wildreceipt": f"WildReceipt, real phone photos{', cropped' if args.crop else ''}",
        }.get(kind, "generated photos")
        print(f"\n{len(subset)} pages: {what}")
        print(
            f"{'reading':34} {'word recall':>11} {'words found':>11} {'numbers found':>13}"
            f" {'CPU-s/page':>10} {'escalated':>9}"
        )
        table[kind] = {}
        for label, rule in [
            ("tesseract alone", EscalationRule(min_confidence=0.0, min_ink_covered=0.0)),
            ("paddle alone", EscalationRule(min_confidence=1.01, min_ink_covered=1.01)),
            *[(f"escalation: conf < {c:.2f} or ink < {i:.1f}", EscalationRule(c, i)) for c, i in RULES],
        ]:
            summary = _summary(subset, rule)
            if label == "paddle alone":  # Paddle's own time, not Tesseract's plus Paddle's
                summary["s_per_page"] = round(sum(r["paddle"]["s"] for r in subset) / len(subset), 2)
            table[kind][label] = summary
            print(
                f"{label:34} {summary['word_recall']:11.3f} {summary['words_found']:11.3f}"
                f" {summary['numbers_found']:13.3f} {summary['s_per_page']:10.2f} {summary['escalated']:9.0%}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "table": table}, indent=1), encoding="utf-8")
    tesseract.close()


if __name__ == "__main__":
    main()
