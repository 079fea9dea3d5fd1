"""Splitting scanned stacks of real documents at separator sheets (issue 8): boundary precision
and recall, the share of stacks split exactly, and the extra time per page (prints figures; not
a test).

Run from the repository root once the corpus is built (`bench/README.md`)::

    nice -n 10 .venv/bin/python -m bench.splitting [--stacks 20] [--max-doc-pages 10] [--seed 1]

Stacks of 2-10 real multi-page PDFs of the corpus (invoices, papers, tax forms; 1 to
``--max-doc-pages`` pages each, their first pages) are scanned: every page rendered at 200 dpi
in grey with a paper tone, sensor noise and dust, as a production scanner's TIFF holds them. Each
stack is composed three ways: a blank sheet between two documents, a barcode sheet (Code 128)
between them, and no sheet at all. Every page goes through the OCR service's own separator
detection (`services.ocr.core.splitting.find_separator`) and `plan_parts`, as OCR does for a
TIFF stack of a workflow whose splitting is `separator`.

The `auto` row: stacks of 2-10 other corpus PDFs of the same kinds, without separator sheets,
divided by the boundary model (`docroute.classifier.boundary`, as OCR applies it to a workflow
whose splitting is `auto`), trained by the trainer's own code on ``--auto-train`` PDFs per kind
that are in none of these stacks (their first ``--max-doc-pages`` pages, labelled with their
kind, as a workflow's samples). Pages are read from the PDFs' text layers (what OCR reads on a
digital PDF); a document whose first page has no text layer is left out of the auto row. Its
extra time per page: the boundary model's CPU per page against Tesseract's and the text layer's.

Boundaries are the pages where a document begins (but the first); a stack is split exactly
when every part holds exactly one document's pages. Extra time per page: the detection's CPU
seconds per page against Tesseract's on a sample of the same scanned pages (one thread), and
against reading a digital PDF's text layer, both measured in this run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

if __package__ in (None, ""):  # run as a script: make `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image

from bench._realdocs import load_manifest
from bench.corpus.build import DEFAULT_OUT
from services.ocr.adapters import build_engine
from services.ocr.core.errors import OcrInputError
from services.ocr.core.pdf import PdfFile
from services.ocr.core.splitting import find_separator, plan_parts, separators_in_use
from services.trainer.core.boundaries import train_boundary_model
from tests.factories.stacks import barcode_sheet, blank_sheet

KINDS = ("invoice", "paper", "tax_form")
SCAN_DPI = 200
OCR_SAMPLE_PAGES = 6


def scanned(page: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A rendered page as a scanner returns it: grey, a paper tone, noise, a few dust dots."""
    pixels = np.asarray(page.convert("L"), dtype=np.float32) * rng.uniform(0.93, 0.99)
    pixels += rng.normal(0, 7, pixels.shape)
    dots = rng.integers(0, pixels.shape, size=(40, 2))
    pixels[dots[:, 0], dots[:, 1]] = 30
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def corpus_pdfs(corpus: Path) -> list[dict[str, Any]]:
    """Manifest entries of the corpus's PDFs of KINDS that are on disk."""
    return [
        e
        for e in load_manifest()
        if e["kind"] in KINDS and e["media_type"] == "application/pdf" and (corpus / e["path"]).exists()
    ]


def scan(corpus: Path, entry: dict[str, Any], max_pages: int, seed: int) -> list[Image.Image]:
    """A corpus PDF's first ``max_pages`` pages, scanned; none when the OCR cannot open it."""
    rng = np.random.default_rng(seed)
    try:
        with PdfFile((corpus / entry["path"]).read_bytes()) as pdf:
            return [scanned(pdf.render(i, SCAN_DPI), rng) for i in range(min(pdf.page_count, max_pages))]
    except OcrInputError as exc:
        print(f"skipped {entry['id']}: {exc}", file=sys.stderr)
        return []


def boundaries(sizes: list[int]) -> set[int]:
    """Document-page indexes (separators left out) where a document begins, but the first."""
    starts, at = set(), 0
    for size in sizes[:-1]:
        at += size
        starts.add(at)
    return starts


def run_stack(
    docs: list[list[Image.Image]], sheet: str, seed: int
) -> tuple[set[int], set[int], bool, float, int]:
    """Compose, detect, plan: (true, found boundaries, exact, detection CPU s, pages looked at)."""
    pages: list[Image.Image] = []
    is_sheet: list[bool] = []
    for number, doc in enumerate(docs):
        if number and sheet != "none":
            pages.append(
                blank_sheet(seed + number) if sheet == "blank" else barcode_sheet(seed=seed + number)
            )
            is_sheet.append(True)
        pages.extend(doc)
        is_sheet.extend([False] * len(doc))
    started = time.process_time()
    found = [find_separator(i, page) for i, page in enumerate(pages)]
    cpu = time.process_time() - started
    in_use = separators_in_use([s for s in found if s is not None])
    parts = plan_parts(len(pages), "separator", {s.page for s in in_use})
    # Document-page numbering: a page's index among the pages that are no sheet.
    doc_index = {i: n for n, i in enumerate(i for i, s in enumerate(is_sheet) if not s)}
    found_starts = {doc_index[p.first] for p in parts[1:] if p.first in doc_index}
    truth = boundaries([len(d) for d in docs])
    true_parts = []
    at = 0
    for doc in docs:
        true_parts.append(set(range(at, at + len(doc))))
        at += len(doc)
    got_parts = [{doc_index[i] for i in p.pages if i in doc_index} for p in parts]
    exact = got_parts == true_parts
    return truth, found_starts, exact, cpu, len(pages)


def ocr_seconds_per_page(pages: list[Image.Image]) -> float:
    engine = build_engine("tesseract")
    engine.recognize(pages[0], "latin")  # load
    started = time.process_time()
    for page in pages:
        engine.recognize(page, "latin")
    return (time.process_time() - started) / len(pages)


def text_layer_seconds_per_page(corpus: Path, count: int) -> tuple[float, float]:
    """CPU s/page of reading the text layer of real PDFs, and of rendering them for detection."""
    read = render = 0.0
    pages = 0
    for entry in load_manifest():
        if entry["kind"] != "invoice" or entry["media_type"] != "application/pdf" or pages >= count:
            continue
        with PdfFile((corpus / entry["path"]).read_bytes()) as pdf:
            for i in range(min(pdf.page_count, 3)):
                started = time.process_time()
                pdf.text_layer(i)
                read += time.process_time() - started
                started = time.process_time()
                find_separator(i, pdf.render(i, 100))
                render += time.process_time() - started
                pages += 1
    return read / max(pages, 1), render / max(pages, 1)


def page_texts(corpus: Path, entry: dict[str, Any], max_pages: int) -> list[str]:
    """The text layer of a corpus PDF's first ``max_pages`` pages; none when its first page has
    none (a scan: Tesseract's text is left out of this row, it costs 1-2 s a page)."""
    try:
        with PdfFile((corpus / entry["path"]).read_bytes()) as pdf:
            texts = [pdf.text_layer(i).text for i in range(min(pdf.page_count, max_pages))]
    except OcrInputError:
        return []
    return texts if texts and texts[0].strip() else []


def auto_row(corpus: Path, entries: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, float]:
    """Train on some documents per kind, split stacks of the others; print the row and return
    the boundary model's CPU seconds per page."""
    rng = random.Random(args.seed + 1)
    started = time.perf_counter()
    texts = {e["id"]: page_texts(corpus, e, args.max_doc_pages) for e in entries}
    readable = [e for e in entries if texts[e["id"]]]
    by_group: dict[str, list[dict[str, Any]]] = {}
    for e in readable:
        by_group.setdefault(e["group"], []).append(e)
    groups = sorted(by_group)
    rng.shuffle(groups)
    train: list[dict[str, Any]] = []
    per_kind = dict.fromkeys(KINDS, 0)
    for group in groups:  # whole groups, so no near-copy of a training document lands in a stack
        kind = by_group[group][0]["kind"]
        if per_kind[kind] < args.auto_train:
            train += by_group[group]
            per_kind[kind] += len(by_group[group])
    held = [e for e in readable if e not in train]
    cpu = time.process_time()
    trained = train_boundary_model(
        [texts[e["id"]] for e in train], [e["kind"] for e in train], seed=args.seed
    )
    train_cpu = time.process_time() - cpu
    if trained is None:
        sys.exit("the training documents taught no boundary model")
    model, report = trained
    stacks = [rng.sample(held, rng.randint(2, min(10, len(held)))) for _ in range(args.stacks)]
    tp = fp = fn = exact = pages = 0
    cpu = 0.0
    for stack in stacks:
        stack_texts = [t for e in stack for t in texts[e["id"]]]
        truth = boundaries([len(texts[e["id"]]) for e in stack])
        begun = time.process_time()
        found = set(model.starts(stack_texts)) - {0}
        cpu += time.process_time() - begun
        tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
        exact, pages = exact + (found == truth), pages + len(stack_texts)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(
        f"{'auto (no sheets)':<18} {precision:>9.3f} {recall:>7.3f} {exact / len(stacks):>7.2f}"
        f" {1000 * cpu / pages:>8.2f}"
    )
    print(
        f"  auto: {len(stacks)} stacks ({pages} pages) of {len(held)} held-out PDFs; boundary model"
        f" trained on {len(train)} others ({', '.join(f'{k} {n}' for k, n in per_kind.items())}) in"
        f" {train_cpu:.1f} CPU-s; its own out-of-fold figures on stacks of its samples: precision"
        f" {report.precision}, recall {report.recall}, exact {report.exact} ({report.stacks} stacks);"
        f" {len(entries) - len(readable)} PDFs without a text layer on page 1 left out;"
        f" {time.perf_counter() - started:.0f} s"
    )
    return {"auto": cpu / pages}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--stacks", type=int, default=20)
    parser.add_argument("--max-doc-pages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--auto-train", type=int, default=20, help="training PDFs per kind, auto row")
    parser.add_argument("--only-auto", action="store_true", help="the auto row alone (no scans)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    entries = corpus_pdfs(args.corpus)
    if not entries:
        sys.exit(f"no corpus PDFs under {args.corpus}: build the corpus first (bench/README.md)")
    if args.only_auto:
        print(f"{'separator sheets':<18} {'precision':>9} {'recall':>7} {'exact':>7} {'ms/page':>8}")
        auto = auto_row(args.corpus, entries, args)["auto"]
        layer, _ = text_layer_seconds_per_page(args.corpus, 12)
        print(
            f"extra time per page, digital PDFs: boundary model {1000 * auto:.2f} ms"
            f" vs text layer {1000 * layer:.1f} ms"
        )
        return
    chosen_sets = [rng.sample(range(len(entries)), rng.randint(2, 10)) for _ in range(args.stacks)]
    scans = {i: scan(args.corpus, entries[i], args.max_doc_pages, i) for i in set().union(*chosen_sets)}
    stacks = [[scans[i] for i in chosen if scans[i]] for chosen in chosen_sets]
    stacks = [stack for stack in stacks if len(stack) >= 2]
    pages_in = sum(len(doc) for stack in stacks for doc in stack)
    print(
        f"{len(stacks)} stacks of 2-10 real PDFs ({len(scans)} of the corpus's {len(entries)}, their first"
        f" 1-{args.max_doc_pages} pages: {pages_in} pages), scanned at {SCAN_DPI} dpi"
        f" in {time.perf_counter() - started:.0f} s"
    )
    print(f"{'separator sheets':<18} {'precision':>9} {'recall':>7} {'exact':>7} {'ms/page':>8}")
    detect_s_per_page = {}
    for sheet in ("blank", "barcode", "none"):
        tp = fp = fn = exact = pages = 0
        cpu = 0.0
        for number, stack in enumerate(stacks):
            truth, found, ok, seconds, count = run_stack(stack, sheet, number * 100)
            tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
            exact, cpu, pages = exact + ok, cpu + seconds, pages + count
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        detect_s_per_page[sheet] = cpu / pages
        print(
            f"{sheet:<18} {precision:>9.3f} {recall:>7.3f} {exact / len(stacks):>7.2f}"
            f" {1000 * cpu / pages:>8.1f}"
        )
    auto = auto_row(args.corpus, entries, args)["auto"]
    sample = [stack[0][0] for stack in stacks[:OCR_SAMPLE_PAGES]]
    ocr = ocr_seconds_per_page(sample)
    layer, digital_detect = text_layer_seconds_per_page(args.corpus, 12)
    worst = max(detect_s_per_page.values())
    print(
        f"extra time per page, scans: detection {1000 * worst:.0f} ms vs Tesseract {1000 * ocr:.0f} ms "
        f"= {100 * worst / ocr:.1f} % (CPU, {len(sample)} pages)\n"
        f"extra time per page, digital PDFs: render at 100 dpi + detection {1000 * digital_detect:.1f} ms "
        f"vs text layer {1000 * layer:.1f} ms = {digital_detect / max(layer, 1e-9):.1f}x\n"
        f"extra time per page, auto: boundary model {1000 * auto:.2f} ms = {100 * auto / ocr:.2f} % of"
        f" Tesseract's, {auto / max(layer, 1e-9):.2f}x the text layer's"
    )


if __name__ == "__main__":
    main()
