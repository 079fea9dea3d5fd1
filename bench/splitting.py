"""Splitting scanned stacks of real documents at separator sheets (issue 8): boundary precision
and recall, the share of stacks split exactly, and the extra time per page (prints figures; not
a test).

Run from the repository root once the corpus is built (`bench/README.md`)::

    nice -n 10 .venv/bin/python -m bench.splitting [--stacks 20] [--max-doc-pages 10] [--seed 1]
        [--only-auto] [--auto-train 20] [--auto-held-from N] [--auto-stacks 100] [--auto-seeds 3]
        [--auto-scanned 0] [--baseline REV]
        [--auto-errors] [--whole-docs] [--only-separators] [--page-numbers] [--duplex] [--covers]
        [--blas-threads 1|default]

Stacks of 2-10 real multi-page PDFs of the corpus (invoices, papers, tax forms; 1 to
``--max-doc-pages`` pages each, their first pages) are scanned: every page rendered at 200 dpi
in grey with a paper tone, sensor noise and dust, as a production scanner's TIFF holds them. Each
stack is composed three ways: a blank sheet between two documents, a barcode sheet (Code 128)
between them, and no sheet at all. Every page goes through the OCR service's own separator
detection (`services.ocr.core.splitting.find_separator`), `separators_in_use` and `plan_parts`,
as OCR does for a TIFF stack of a workflow whose splitting is `separator`; the row "blank, every
blank" applies the rule before 2026-12-02 (every blank page a sheet) to the same stacks.
``--duplex``: every sheet scanned on both sides, as production scanners do; a document printed on
one side (each page followed by its blank back) or on both (a blank back after an odd last page),
one or the other at random per document, and a separator sheet two pages (its front and back).
``--page-numbers`` adds a row of an experiment (not the product's rule): a blank sheet stays in a
document when Tesseract reads page numbers that go on across it in the header and footer strips
of the pages either side.
``--covers``: a workflow's boundary model, trained by the trainer's code on ``--auto-train``
PDFs per kind (whole manifest groups, drawn with the seed), in none of the stacks, which are
drawn from the other PDFs; row "blank, covers" is the product with that model (OCR's
`_covers`: a lone blank sheet after a single page is that page's back when the page alone would
cost a division more than COVER_COST, or more than half that and the page after the sheet goes on
from it (`cover_backs`); the pages read by Tesseract, their CPU counted in the detection's), row
"blank" the product without one, on the same stacks.
``--only-separators``: these rows without the auto row.

The `auto` row: stacks of 2-10 other corpus PDFs of the same kinds, without separator sheets,
divided by the boundary model (`docroute.classifier.boundary`, as OCR applies it to a workflow
whose splitting is `auto`), trained by the trainer's own code on ``--auto-train`` PDFs per kind
that are in none of these stacks (their first ``--max-doc-pages`` pages, labelled with their
kind, as a workflow's samples). Pages are read as OCR reads a digital PDF: the text layer, or
Tesseract where a page has none or its layer is mojibake; a document whose first page has no
text layer (a scan) is left out of the auto row. Its
extra time per page: the boundary model's CPU per page against Tesseract's and the text layer's.
Below each auto row, what the router does with the parts at a workflow's default threshold
(0.8): a part whose boundary confidence (`BoundaryModel.division`, as OCR sends it) is lower goes to
review, the others are routed. It prints the share of stacks with no wrong part routed (a part
whose pages are not exactly one document's, sent on as if right), the share split exactly with no
part held, the share of parts held, and how often a part is right against how sure the model was
(`reliability`: per bin of confidence, and the expected calibration error).
``--whole-docs``: the stacks hold only held-out PDFs of at most ``--max-doc-pages`` pages, each
whole (by default a longer PDF's first pages are one of its documents, which ends on a page that
goes on: "3 of 12", mid-sentence); the training documents are the same.
``--auto-held-from N``: the stacks are drawn from the PDFs outside a draw of N per kind, whose
first ``--auto-train`` per kind train the model (whole groups in the seed's order), so runs at
different ``--auto-train`` up to N meet the same stacks: how `auto` grows with a workflow's
samples (with ``--covers`` too).
``--auto-seeds`` draws of training documents and ``--auto-stacks`` stacks each; ``--baseline
REV`` also trains and applies the boundary model as committed at REV (a git worktree, the same
documents and stacks), a row per model (rev | now). ``--auto-scanned N``: the first N stacks of
the first seed scanned as above and read by Tesseract (1-2 CPU-s a page), split by the same
models. ``--blas-threads default``: the boundary models run with numpy's BLAS threads as
OpenBLAS starts them (one a core) instead of one, as a service ran them before
`docroute.blas`. ``--auto-errors``: each gap today's model gets wrong (a start missed, a split inside a
document: the documents, pages and how the two pages read), and their count by kind.

Boundaries are the pages where a document begins (but the first); a stack is split exactly
when every part holds exactly one document's pages. Extra time per page: the detection's CPU
seconds per page against Tesseract's on a sample of the same scanned pages (one thread), and
against reading a digital PDF's text layer, both measured in this run.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

if __package__ in (None, ""):  # run as a script: make `services`, `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image

from bench._realdocs import load_manifest
from bench.corpus.build import DEFAULT_OUT
from docroute.classifier.boundary import BoundaryModel
from docroute.classifier.page_cues import PageNumber, labelled_page_number, page_number
from docroute.ocr_result import words_to_text
from services.ocr.adapters import OcrEngine, build_engine
from services.ocr.core.errors import OcrInputError
from services.ocr.core.legibility import garbled_reason
from services.ocr.core.pdf import PdfFile, has_text_layer
from services.ocr.core.splitting import (
    Separator,
    cover_backs,
    find_separator,
    parts_from_starts,
    plan_parts,
    separators_in_use,
)
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


def sides(doc: list[Image.Image], seed: int) -> list[Image.Image]:
    """A document's pages as a duplex scan returns them: printed on one side (each page then
    its blank back) or on both (a blank back after an odd last page), one or the other at random
    per document. The blank backs are the document's pages."""
    if random.Random(seed).random() < 0.5:
        return [page for n, front in enumerate(doc) for page in (front, blank_sheet(seed + 7919 * (n + 1)))]
    return doc + [blank_sheet(seed + 7919)] * (len(doc) % 2)


def run_stack(
    docs: list[list[Image.Image]],
    sheet: str,
    seed: int,
    rule: str = "product",
    duplex: bool = False,
    model: BoundaryModel | None = None,
) -> tuple[set[int], set[int], bool, float, int]:
    """Compose, detect, plan: (true, found boundaries, exact, detection CPU s, pages looked at).
    ``rule``: ``product`` (`separators_in_use`), ``every blank`` (the rule before 2026-12-02:
    every blank page a sheet where no barcode sheet is found), ``page numbers``
    (``--page-numbers``): also blank sheets whose neighbours print page numbers that go on
    across them are a document's own (`blank_sheets_kept`: the neighbours' header and footer
    strips read by Tesseract; their CPU counted in the detection's), ``covers`` (``--covers``):
    the product with the workflow's boundary ``model`` (`covers_kept`). ``duplex``: each sheet
    scanned on both sides (`sides`; a separator sheet is its front and its blank back)."""
    if duplex:
        docs = [sides(doc, seed + number) for number, doc in enumerate(docs)]
    pages: list[Image.Image] = []
    is_sheet: list[bool] = []
    for number, doc in enumerate(docs):
        if number and sheet != "none":
            pages.append(
                blank_sheet(seed + number) if sheet == "blank" else barcode_sheet(seed=seed + number)
            )
            is_sheet.append(True)
            if duplex:
                pages.append(blank_sheet(seed + number + 50))
                is_sheet.append(True)
        pages.extend(doc)
        is_sheet.extend([False] * len(doc))
    started = time.process_time()
    found = [find_separator(i, page) for i, page in enumerate(pages)]
    found_sheets = [s for s in found if s is not None]
    in_use = separators_in_use(found_sheets, len(pages))
    if rule == "every blank":
        in_use = [s for s in found_sheets if s.kind == "barcode"] or found_sheets
    if rule == "page numbers":
        in_use = blank_sheets_kept(in_use, len(pages), functools.partial(edge_text, pages))
    if rule == "covers" and model is not None:
        in_use = covers_kept(in_use, pages, model)
    cpu = time.process_time() - started
    parts = plan_parts(len(pages), "separator", {s.page for s in in_use})
    # Document-page numbering: a page's index among the pages that are no sheet.
    doc_index = {i: n for n, i in enumerate(i for i, s in enumerate(is_sheet) if not s)}
    truth = boundaries([len(d) for d in docs])
    true_parts = []
    at = 0
    for doc in docs:
        true_parts.append(set(range(at, at + len(doc))))
        at += len(doc)
    got_parts = [{doc_index[i] for i in p.pages if i in doc_index} for p in parts]
    # A part's start is its first document page (a duplex sheet's blank back may come before it).
    found_starts = {min(part) for part in got_parts[1:] if part}
    exact = got_parts == true_parts
    return truth, found_starts, exact, cpu, len(pages)


# `--page-numbers` (an experiment, not the product's rule; bench/README.md): a blank page whose
# neighbours print page numbers that go on across it is a document's own, not a separator.
# Share of a page's height at its top and at its bottom that holds a running header or footer,
# where a page number is printed (within A4's 2.5 cm margins: 8 % of its 29.7 cm).
EDGE_SHARE = 0.1


def page_edges(image: Image.Image) -> list[Image.Image]:
    """A page's top and bottom strips (``EDGE_SHARE`` of its height each): where its running
    header and footer print its page number. Reading them costs OCR a fifth of the page."""
    strip = max(1, round(image.height * EDGE_SHARE))
    width, height = image.size
    return [image.crop((0, 0, width, strip)), image.crop((0, height - strip, width, height))]


def _printed_number(text: str) -> PageNumber | None:
    return labelled_page_number(text) or page_number(text)


def numbers_go_on(before: str, after: str) -> bool:
    """Whether the pages either side of a blank page print the page numbers of one document:
    the page after carries a number one or two past the page before's (the blank page counted
    or not: "Page 3 of 6", blank, "Page 5 of 6"; "-3-", blank, "-4-"), the page before is not
    its document's last, and where both print a page count it is the same."""
    first, then = _printed_number(before), _printed_number(after)
    if first is None or then is None:
        return False
    if first.total is not None and (first.number >= first.total or then.total not in (None, first.total)):
        return False
    if then.total is not None and then.number > then.total:
        return False
    return then.number - first.number in (1, 2)


def blank_sheets_kept(
    separators: Sequence[Separator], page_count: int, read: Callable[[int], str]
) -> list[Separator]:
    """The separators less the blank pages that are a document's own: the pages either side
    (``read``: a page's text, its page number's at least) print page numbers that go on across
    it (``numbers_go_on``). A blank page between two documents stays a separator whatever else
    the pages say: a missed separator joins two documents, worse than a document cut in two.
    Barcode sheets are kept as they are. Only the pages beside a blank page are read."""
    at = {s.page for s in separators}
    texts: dict[int, str] = {}

    def text(page: int) -> str:
        if page not in texts:
            texts[page] = read(page)
        return texts[page]

    kept = []
    for sheet in separators:
        before, after = sheet.page - 1, sheet.page + 1
        inside = (
            sheet.kind == "blank"
            and before >= 0
            and after < page_count
            and before not in at
            and after not in at
            and numbers_go_on(text(before), text(after))
        )
        if not inside:
            kept.append(sheet)
    return kept


def covers_kept(
    separators: list[Separator], pages: list[Image.Image], model: BoundaryModel
) -> list[Separator]:
    """The separators less the blank sheets OCR takes for a cover's back (`cover_backs`, as
    `StackSplitter._covers` asks it; the page read by Tesseract, as OCR reads a scan)."""

    def page_text(page: int) -> str:
        return words_to_text(tesseract().recognize(pages[page], "latin"))

    backs = cover_backs(separators, len(pages), page_text, model.alone_cost, model.goes_on)
    return [s for s in separators if s.page not in backs]


def training_draw(
    readable: list[dict[str, Any]], per_kind_wanted: int, rng: random.Random
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """A workflow's samples: whole manifest groups in ``rng``'s order until each kind has
    ``per_kind_wanted`` PDFs or more (a group's near-copies all on one side), and the count a kind."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for entry in readable:
        by_group.setdefault(entry["group"], []).append(entry)
    groups = sorted(by_group)
    rng.shuffle(groups)
    train: list[dict[str, Any]] = []
    per_kind = dict.fromkeys(KINDS, 0)
    for group in groups:
        kind = by_group[group][0]["kind"]
        if per_kind[kind] < per_kind_wanted:
            train += by_group[group]
            per_kind[kind] += len(by_group[group])
    return train, per_kind


def samples_draw(
    readable: list[dict[str, Any]], args: argparse.Namespace, rng: random.Random
) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    """The training documents (``--auto-train`` per kind, `training_draw`), the count a kind, and
    the documents kept out of the stacks: the training ones, or with ``--auto-held-from N`` a draw
    of N per kind of the same groups in the same order, whose first documents are the training
    ones, so runs at different ``--auto-train`` meet the same stacks."""
    drawn = rng.getstate()
    train, per_kind = training_draw(readable, args.auto_train, rng)
    if not args.auto_held_from:
        return train, per_kind, train
    rng.setstate(drawn)
    kept_out, _ = training_draw(readable, max(args.auto_held_from, args.auto_train), rng)
    return train, per_kind, kept_out


def cover_model(
    corpus: Path, entries: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[BoundaryModel, list[dict[str, Any]]]:
    """``--covers``: the boundary model of ``--auto-train`` PDFs per kind (whole manifest groups,
    drawn with the seed; read as `page_texts`), and the PDFs left for the stacks (`samples_draw`)."""
    texts = {e["id"]: page_texts(corpus, e, args.max_doc_pages) for e in entries}
    readable = [e for e in entries if texts[e["id"]]]
    train, per_kind, kept_out = samples_draw(readable, args, random.Random(args.seed + 1))
    trained = train_boundary_model(
        [texts[e["id"]] for e in train], [e["kind"] for e in train], seed=args.seed
    )
    if trained is None:
        sys.exit("the training documents taught no boundary model")
    print(f"covers: boundary model trained on {', '.join(f'{k} {n}' for k, n in per_kind.items())} PDFs")
    return trained[0], [e for e in entries if e not in kept_out]


def edge_text(pages: list[Image.Image], index: int) -> str:
    """What Tesseract reads in a scanned page's header and footer strips (`page_edges`)."""
    return "\n".join(
        words_to_text(tesseract().recognize(strip, "latin")) for strip in page_edges(pages[index])
    )


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


@functools.cache
def tesseract() -> OcrEngine:
    """One Tesseract engine for the pages read by OCR (`page_texts`), loaded when first needed."""
    return build_engine("tesseract")


def page_texts(corpus: Path, entry: dict[str, Any], max_pages: int) -> list[str]:
    """A corpus PDF's first ``max_pages`` pages read as the OCR service reads them: the text
    layer, or where a page has none or its layer is mojibake (`garbled_reason`: a broken font
    encoding) the page rendered and read by Tesseract; none when its first page has no text
    layer (a scan: left out of this row, Tesseract costs 1-2 s a page)."""
    try:
        with PdfFile((corpus / entry["path"]).read_bytes()) as pdf:
            layers = [pdf.text_layer(i).text for i in range(min(pdf.page_count, max_pages))]
            if not layers or not layers[0].strip():
                return []
            return [
                text
                if has_text_layer(text) and garbled_reason(text) is None
                else words_to_text(tesseract().recognize(pdf.render(i), "latin"))
                for i, text in enumerate(layers)
            ]
    except OcrInputError:
        return []


def whole_documents(corpus: Path, entries: list[dict[str, Any]], max_pages: int) -> set[str]:
    """The ids of the PDFs of at most ``max_pages`` pages: in a stack of them every document is
    whole, as a mailroom scans its letters, where the first pages of a longer one end on a page
    that goes on ("3 of 12", mid-sentence)."""
    whole = set()
    for entry in entries:
        try:
            with PdfFile((corpus / entry["path"]).read_bytes()) as pdf:
                if pdf.page_count <= max_pages:
                    whole.add(entry["id"])
        except OcrInputError:
            continue
    return whole


# Trains the boundary model and splits the stacks with the code of the tree it runs in (today's
# or a committed rev's worktree), through the API both share: train_boundary_model, starts.
AUTO_WORKER = """
import json, sys, time
from services.trainer.core.boundaries import train_boundary_model
job = json.load(sys.stdin)
started = time.process_time()
trained = train_boundary_model(job["train"], job["labels"], seed=job["seed"])
if trained is None:
    sys.exit("the training documents taught no boundary model")
train_cpu = time.process_time() - started
model, report = trained
model.starts(job["stacks"][0])  # warm up
found, confidences, cpu = [], [], 0.0
for texts in job["stacks"]:
    begun = time.process_time()
    if hasattr(model, "division"):
        division = model.division(texts)
        starts, sure = division.starts, division.confidences
    else:  # a rev before 2026-12-05: the lowest of the part's gap probabilities
        from services.ocr.core.splitting import boundary_confidences, parts_from_starts
        starts, chances = model.divide(texts)
        sure = boundary_confidences(parts_from_starts(len(texts), starts), chances.tolist())
    cpu += time.process_time() - begun
    found.append(sorted(set(starts) - {0}))
    confidences.append(sure)
answer = {"found": found, "confidences": confidences, "cpu": cpu, "train_cpu": train_cpu}
print(json.dumps({**answer, "report": report.to_dict()}))
"""


def split_with(tree: Path, job: dict[str, Any]) -> dict[str, Any]:
    """AUTO_WORKER's answer for ``job``, run with the code of ``tree`` (one BLAS thread)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if job.get("blas_threads") == "default":
        del env["OMP_NUM_THREADS"], env["OPENBLAS_NUM_THREADS"]
    done = subprocess.run(
        [sys.executable, "-c", AUTO_WORKER],
        cwd=tree,
        env=env,
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"the boundary model of {tree} failed: {done.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


@contextmanager
def committed_tree(rev: str) -> Iterator[Path]:
    """A detached git worktree of ``rev``, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="splitting-baseline-") as parent:
        tree = Path(parent) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), rev], check=True, capture_output=True
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], check=False, capture_output=True
            )


# A seed's worker job, its stacks' true boundaries, training documents per kind, held-out
# documents, and the stacks' manifest entries.
AutoJob = tuple[dict[str, Any], list[set[int]], dict[str, int], int, list[list[dict[str, Any]]]]


def auto_jobs(
    texts: dict[str, list[str]],
    entries: list[dict[str, Any]],
    args: argparse.Namespace,
    seed: int,
    whole: set[str] | None = None,
) -> AutoJob:
    """For one seed: training documents (``--auto-train`` per kind, whole manifest groups, so no
    near-copy of a training document lands in a stack) and stacks of the others (only those in
    ``whole`` when given: ``--whole-docs``)."""
    rng = random.Random(seed + 1)
    readable = [e for e in entries if texts[e["id"]]]
    train, per_kind, kept_out = samples_draw(readable, args, rng)
    held = [e for e in readable if e not in kept_out and (whole is None or e["id"] in whole)]
    stacks = [rng.sample(held, rng.randint(2, min(10, len(held)))) for _ in range(args.auto_stacks)]
    job = {
        "train": [texts[e["id"]] for e in train],
        "labels": [e["kind"] for e in train],
        "seed": seed,
        "stacks": [[t for e in stack for t in texts[e["id"]]] for stack in stacks],
    }
    truth = [boundaries([len(texts[e["id"]]) for e in stack]) for stack in stacks]
    return job, truth, per_kind, len(held), stacks


def auto_rows(corpus: Path, entries: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, float]:
    """Train on some documents per kind, split stacks of the others, for each seed and each
    model (``--baseline`` REV's, today's); print a row per model (and per model on scanned
    stacks with ``--auto-scanned``) and return each one's boundary model CPU seconds per page."""
    started = time.perf_counter()
    texts = {e["id"]: page_texts(corpus, e, args.max_doc_pages) for e in entries}
    seeds = [args.seed + n for n in range(args.auto_seeds)]
    whole = whole_documents(corpus, entries, args.max_doc_pages) if args.whole_docs else None
    jobs = [auto_jobs(texts, entries, args, seed, whole) for seed in seeds]
    for drawn in jobs:
        drawn[0]["blas_threads"] = args.blas_threads
    with ExitStack() as stack:
        trees: dict[str, Path] = {}
        if args.baseline:
            trees[args.baseline] = stack.enter_context(committed_tree(args.baseline))
        trees["now"] = Path(__file__).resolve().parents[1]
        cpu_per_page = {
            name: auto_row(f"auto {name}", tree, jobs, args.auto_errors and name == "now")
            for name, tree in trees.items()
        }
        _, _, per_kind, held, _ = jobs[0]
        stacks = sum(len(job[1]) for job in jobs)
        pages = sum(len(t) for job in jobs for t in job[0]["stacks"])
        print(
            f"  auto: seeds {seeds}, {args.auto_stacks} stacks each ({stacks} stacks, {pages} pages) of"
            f" 2-10 held-out PDFs (of {held}, {'whole, ' if whole is not None else ''}1-{args.max_doc_pages}"
            " pages each); boundary model trained"
            f" on {', '.join(f'{k} {n}' for k, n in per_kind.items())} others (seed {seeds[0]});"
            f" {sum(not t for t in texts.values())} PDFs without a text layer on page 1 left out;"
            f" {time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f} at the end"
        )
        if args.auto_scanned:
            job, truth, per_kind, held, chosen = jobs[0]
            ocr_started = time.process_time()
            first = chosen[: args.auto_scanned]
            scanned_texts = ocr_texts(corpus, [e for stack in first for e in stack], args)
            ocr_cpu = time.process_time() - ocr_started
            ocr_pages = sum(len(t) for t in scanned_texts.values())
            scanned_job = {**job, "stacks": [[t for e in s for t in scanned_texts[e["id"]]] for s in first]}
            scanned = [(scanned_job, truth[: args.auto_scanned], per_kind, held, first)]
            for name, tree in trees.items():
                auto_row(f"scanned {name}", tree, scanned)
            pages = sum(len(t) for t in scanned_job["stacks"])
            print(
                f"  scanned: the first {args.auto_scanned} stacks of seed {seeds[0]} ({pages} pages) rendered"
                f" at {SCAN_DPI} dpi with scanner noise and read by Tesseract"
                f" ({ocr_cpu / max(ocr_pages, 1):.1f} CPU-s a page), split by the same models (trained on"
                " text layers)"
            )
    return cpu_per_page


# A workflow's threshold by default (services/api/workflows/schemas.py): a part whose boundaries
# the model is less sure of goes to review with its stack instead of being routed.
REVIEW_THRESHOLD = 0.8


# A part as the router meets it: its boundary confidence, and whether its pages are exactly one
# document's (a wrong part sent on is one that is not).
Part = tuple[float, bool]


def stack_parts(
    true: set[int], found: set[int], pages: int, confidences: Sequence[float]
) -> tuple[Part, ...]:
    """The parts of a stack of ``pages`` as the model divided it (pages starting at ``found``,
    each part's boundary confidence), against its documents (``true`` starts)."""
    documents = set(parts_from_starts(pages, true))
    parts = parts_from_starts(pages, found)
    return tuple((confidence, part in documents) for part, confidence in zip(parts, confidences, strict=True))


def held(parts: Sequence[Part], threshold: float) -> int:
    """How many parts the router holds for review: their boundary confidence is below the threshold."""
    return sum(confidence < threshold for confidence, _ in parts)


def wrong_routed(parts: Sequence[Part], threshold: float) -> int:
    """How many wrong parts the router sends on: sure enough to pass, though not one document."""
    return sum(not right and confidence >= threshold for confidence, right in parts)


# Bins of a part's boundary confidence for the reliability table (`reliability`).
CONFIDENCE_BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0)


def reliability(parts: Sequence[Part]) -> str:
    """How often a part is right (exactly one document's pages) against how sure the model was,
    per bin of CONFIDENCE_BINS, and the expected calibration error over the bins."""
    cells, gap = [], 0.0
    for low, high in itertools.pairwise(CONFIDENCE_BINS):
        inside = [(c, r) for c, r in parts if low <= c < high or (high == 1.0 and c == 1.0)]
        if inside:
            mean, right = np.mean([c for c, _ in inside]), np.mean([r for _, r in inside])
            gap += len(inside) * abs(mean - right)
            cells.append(f"[{low}, {high}) {len(inside)} parts, sure {mean:.3f}, right {right:.3f}")
    return "; ".join(cells) + f"; ECE {gap / max(len(parts), 1):.3f}"


# Thresholds a workflow may set, for the trade-off between parts held and wrong parts routed.
TRADE_OFF_THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)


def trade_off(stacks: Sequence[Sequence[Part]], threshold: float) -> str:
    """At ``threshold``, over stacks of parts: the share of stacks with no wrong part routed, the
    share of parts held for review, and the share of the routed parts that are wrong."""
    parts = [part for stack in stacks for part in stack]
    routed = len(parts) - held(parts, threshold)
    safe = sum(wrong_routed(stack, threshold) == 0 for stack in stacks)
    return (
        f"{threshold}: no wrong part routed {safe / max(len(stacks), 1):.2f}, parts held"
        f" {1 - routed / max(len(parts), 1):.2f}, wrong among routed"
        f" {wrong_routed(parts, threshold) / max(routed, 1):.3f}"
    )


def auto_row(label: str, tree: Path, jobs: list[AutoJob], errors: bool = False) -> float:
    """Print one model's row over ``jobs`` (with ``errors``, each wrong gap and a census of them
    first); its CPU seconds per page."""
    tp = fp = fn = exact = pages = stacks = exact_routed = 0
    every_stack: list[tuple[Part, ...]] = []
    cpu = train_cpu = 0.0
    per_seed, safe_per_seed, reports = [], [], []
    census: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    for draw, (job, truth, _, _, chosen) in enumerate(jobs):
        answer = split_with(tree, job)
        seed_exact = seed_safe = 0
        found_sets = [set(f) for f in answer["found"]]
        for number, (true, found) in enumerate(zip(truth, found_sets, strict=True)):
            tp, fp, fn = tp + len(true & found), fp + len(found - true), fn + len(true - found)
            seed_exact += found == true
            stack = stack_parts(true, found, len(job["stacks"][number]), answer["confidences"][number])
            seed_safe += wrong_routed(stack, REVIEW_THRESHOLD) == 0
            exact_routed += found == true and held(stack, REVIEW_THRESHOLD) == 0
            every_stack.append(stack)
            if errors and found != true:
                wrong = print_errors(
                    f"{label} draw {draw} stack {number}", job["stacks"][number], chosen[number], true, found
                )
                census.update(what for what, _ in wrong)
                gaps.update(gap for _, gap in wrong)
        exact, stacks = exact + seed_exact, stacks + len(truth)
        safe_per_seed.append(seed_safe / len(truth))
        pages += sum(len(t) for t in job["stacks"])
        cpu, train_cpu = cpu + answer["cpu"], train_cpu + answer["train_cpu"]
        per_seed.append(seed_exact / len(truth))
        reports.append(answer["report"])
    if errors:
        print(f"{label}: wrong gaps by kind: " + ", ".join(f"{what} {n}" for what, n in census.most_common()))
        print(recurring_gaps(gaps))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(
        f"{label[:18]:<18} {precision:>9.3f} {recall:>7.3f} {exact / stacks:>7.2f}"
        f" {1000 * cpu / pages:>8.2f}   per seed exact {' '.join(f'{e:.2f}' for e in per_seed)};"
        f" training {train_cpu / len(jobs):.1f} CPU-s; own out-of-fold exact"
        f" {' '.join(str(r['exact']) for r in reports)}"
    )
    every_part = [part for stack in every_stack for part in stack]
    safe = sum(wrong_routed(stack, REVIEW_THRESHOLD) == 0 for stack in every_stack)
    print(
        f"{'':18} at the threshold {REVIEW_THRESHOLD}: stacks with no wrong part routed"
        f" {safe / stacks:.2f} (split exactly with no part in review {exact_routed / stacks:.2f});"
        f" parts held for review {held(every_part, REVIEW_THRESHOLD) / max(len(every_part), 1):.2f};"
        f" per seed no wrong part routed {' '.join(f'{e:.2f}' for e in safe_per_seed)}"
    )
    print(f"{'':18} parts right by boundary confidence: {reliability(every_part)}")
    print(f"{'':18} at a threshold " + "; ".join(trade_off(every_stack, t) for t in TRADE_OFF_THRESHOLDS))
    return cpu / pages


def recurring_gaps(gaps: Counter[str]) -> str:
    """How many distinct gaps the wrong ones are, and those that recur. The stacks draw from a
    few hundred held-out documents, so one document's gap (a report's cover page, a page of
    three total lines) is in many stacks: the share split exactly moves by several stacks when
    one document's gap is got right or wrong."""
    inside = [gap for gap in gaps if gap.startswith("split inside")]
    documents = {gap.split(" ")[3] for gap in inside}
    recurring = [f"{n}x {gap}" for gap, n in gaps.most_common() if n > 2]
    return (
        f"  {sum(gaps.values())} wrong gaps, {len(gaps)} distinct; the splits inside documents"
        f" {sum(gaps[g] for g in inside)} at {len(inside)} gaps of {len(documents)} documents;"
        f" recurring: {'; '.join(recurring) or 'none'}"
    )


def print_errors(
    where: str, texts: list[str], documents: list[dict[str, Any]], true: set[int], found: set[int]
) -> list[tuple[str, str]]:
    """Print each gap of a stack the model got wrong: a start it missed or a split inside a
    document, the documents and page numbers on both sides, and how the two pages read; return
    each one's kind ("missed paper>paper", "split inside invoice") and the gap itself (the same
    for every stack it is in: "split inside invoice <id> p.2->3", "missed <id> > <id>")."""
    starts = [0, *sorted(true), len(texts)]
    owner = [(e, n) for e, a, b in zip(documents, starts[:-1], starts[1:], strict=True) for n in range(b - a)]
    wrong = []
    for page in sorted(found ^ true):
        (before, at_before), (here, at_here) = owner[page - 1], owner[page]
        what = f"missed {before['kind']}>{here['kind']}" if page in true else f"split inside {here['kind']}"
        gap = (
            f"missed {before['id']} > {here['id']}"
            if page in true
            else f"{what} {here['id']} p.{at_before + 1}->{at_here + 1}"
        )
        wrong.append((what, gap))
        print(
            f"  {where} page {page}: {what}: {before['id']} p.{at_before + 1} -> {here['id']} p.{at_here + 1}"
        )
        print(f"      before ends {texts[page - 1][-120:]!r}\n      here begins {texts[page][:160]!r}")
    return wrong


def ocr_texts(corpus: Path, chosen: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, list[str]]:
    """Tesseract's text of each chosen PDF's scanned pages (``scan``), by manifest id."""
    engine = build_engine("tesseract")
    out: dict[str, list[str]] = {}
    for entry in chosen:
        if entry["id"] not in out:
            pages = scan(corpus, entry, args.max_doc_pages, len(out))
            out[entry["id"]] = [words_to_text(engine.recognize(page, "latin")) for page in pages]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--stacks", type=int, default=20)
    parser.add_argument("--max-doc-pages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--auto-train", type=int, default=20, help="training PDFs per kind, auto row")
    parser.add_argument(
        "--auto-held-from",
        type=int,
        default=0,
        help="auto row and --covers: stacks drawn from the PDFs outside a draw of this many per kind (of"
        " which the --auto-train first are the training documents), the same stacks at every --auto-train",
    )
    parser.add_argument("--auto-stacks", type=int, default=100, help="stacks per seed, auto row")
    parser.add_argument("--auto-seeds", type=int, default=3, help="seeds (training/stack draws), auto row")
    parser.add_argument(
        "--auto-scanned", type=int, default=0, help="auto row: also this many stacks scanned and OCR'd"
    )
    parser.add_argument(
        "--baseline", help="auto row: also the boundary model as committed at this git rev (rev | now)"
    )
    parser.add_argument("--only-auto", action="store_true", help="the auto row alone (no scans)")
    parser.add_argument(
        "--only-separators", action="store_true", help="the separator rows alone (no auto row)"
    )
    parser.add_argument(
        "--page-numbers",
        action="store_true",
        help="also the experiment: blank sheets whose neighbours' page numbers go on kept in their document",
    )
    parser.add_argument(
        "--duplex",
        action="store_true",
        help="separator rows: every sheet scanned on both sides (documents printed on one side or both)",
    )
    parser.add_argument(
        "--covers",
        action="store_true",
        help="separator rows: also the product with a workflow's boundary model (a cover's blank back)",
    )
    parser.add_argument(
        "--whole-docs",
        action="store_true",
        help="auto row: stacks of whole documents only (held-out PDFs of at most --max-doc-pages pages)",
    )
    parser.add_argument(
        "--blas-threads",
        choices=("1", "default"),
        default="1",
        help="auto row: numpy's BLAS threads in the boundary models' processes (default: one)",
    )
    parser.add_argument(
        "--auto-errors",
        action="store_true",
        help="auto row: print each gap today's model gets wrong, and their kinds",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    entries = corpus_pdfs(args.corpus)
    if not entries:
        sys.exit(f"no corpus PDFs under {args.corpus}: build the corpus first (bench/README.md)")
    if args.only_auto and args.only_separators:
        sys.exit("--only-auto and --only-separators exclude each other")
    if args.only_auto:
        print(f"{'separator sheets':<18} {'precision':>9} {'recall':>7} {'exact':>7} {'ms/page':>8}")
        autos = auto_rows(args.corpus, entries, args)
        layer, _ = text_layer_seconds_per_page(args.corpus, 12)
        print(
            "extra time per page, digital PDFs: boundary model "
            + ", ".join(f"{name} {1000 * s:.2f} ms" for name, s in autos.items())
            + f" vs text layer {1000 * layer:.1f} ms"
        )
        return
    # --covers: the stacks hold none of the documents the workflow's samples are.
    model, pool = cover_model(args.corpus, entries, args) if args.covers else (None, entries)
    chosen_sets = [rng.sample(range(len(pool)), rng.randint(2, 10)) for _ in range(args.stacks)]
    scans = {i: scan(args.corpus, pool[i], args.max_doc_pages, i) for i in set().union(*chosen_sets)}
    stacks = [[scans[i] for i in chosen if scans[i]] for chosen in chosen_sets]
    stacks = [stack for stack in stacks if len(stack) >= 2]
    pages_in = sum(len(doc) for stack in stacks for doc in stack)
    print(
        f"{len(stacks)} stacks of 2-10 real PDFs ({len(scans)} of the corpus's {len(pool)}, their first"
        f" 1-{args.max_doc_pages} pages: {pages_in} pages), scanned at {SCAN_DPI} dpi"
        f" in {time.perf_counter() - started:.0f} s"
    )
    print(f"{'separator sheets':<18} {'precision':>9} {'recall':>7} {'exact':>7} {'ms/page':>8}")
    detect_s_per_page = {}
    rows = [("blank", "every blank"), ("blank", "product"), ("barcode", "product"), ("none", "product")]
    rows += [("blank", "page numbers")] if args.page_numbers else []
    rows += [("blank", "covers")] if args.covers else []
    for sheet, rule in rows:
        tp = fp = fn = exact = pages = 0
        cpu = 0.0
        for number, stack in enumerate(stacks):
            truth, found, ok, seconds, count = run_stack(stack, sheet, number * 100, rule, args.duplex, model)
            tp, fp, fn = tp + len(truth & found), fp + len(found - truth), fn + len(truth - found)
            exact, cpu, pages = exact + ok, cpu + seconds, pages + count
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        label = sheet if rule == "product" else f"{sheet}, {rule}"
        detect_s_per_page[label] = cpu / pages
        print(
            f"{label:<18} {precision:>9.3f} {recall:>7.3f} {exact / len(stacks):>7.2f}"
            f" {1000 * cpu / pages:>8.1f}"
        )
    auto = auto_rows(args.corpus, entries, args)["now"] if not args.only_separators else float("nan")
    sample = [stack[0][0] for stack in stacks[:OCR_SAMPLE_PAGES]]
    ocr = ocr_seconds_per_page(sample)
    layer, digital_detect = text_layer_seconds_per_page(args.corpus, 12)
    print(
        "extra time per page, scans: detection "
        + ", ".join(
            f"{label} {1000 * s:.0f} ms = {100 * s / ocr:.1f} %" for label, s in detect_s_per_page.items()
        )
        + f" of Tesseract's {1000 * ocr:.0f} ms (CPU, {len(sample)} pages)\n"
        f"extra time per page, digital PDFs: render at 100 dpi + detection {1000 * digital_detect:.1f} ms "
        f"vs text layer {1000 * layer:.1f} ms = {digital_detect / max(layer, 1e-9):.1f}x"
    )
    if not args.only_separators:
        print(
            f"extra time per page, auto: boundary model {1000 * auto:.2f} ms = {100 * auto / ocr:.2f} % of"
            f" Tesseract's, {auto / max(layer, 1e-9):.2f}x the text layer's"
        )


if __name__ == "__main__":
    main()
