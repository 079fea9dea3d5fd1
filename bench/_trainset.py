"""Real labelled samples for the trainer's benches: corpus documents as OCR results in S3.

Text-layer PDFs are read page by page with pypdfium2 (what the OCR service does for them), text
sources are one page each; photos and scans are left out (their text would need Tesseract, which
is the OCR stage's cost, not the trainer's). Pages are cached under ``<corpus>/pages/<sha256>.json``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from bench._realdocs import load_manifest
from bench.corpus.build import DEFAULT_OUT
from docroute.blobstore import BlobStore
from docroute.ocr_result import OcrDocument, OcrPage

MAX_PAGES = 20  # the trainer reads 20,000 characters and the boundary model 8 pages
KINDS = 7


@dataclass(frozen=True)
class RealSample:
    """One corpus document's pages and kind; `copy` > 0 marks a repeat under a new id."""

    id: str
    kind: str
    pages: tuple[str, ...]
    copy: int = 0


def _pages(entry: dict[str, object], corpus: Path) -> list[str]:
    cache = corpus / "pages" / f"{entry['sha256']}.json"
    if cache.exists():
        return list(json.loads(cache.read_text()))
    path = corpus / str(entry["path"])
    if str(entry["media_type"]).startswith("text/"):
        pages = [path.read_text(errors="replace")]
    else:
        pdf = pypdfium2.PdfDocument(str(path))
        try:
            pages = [pdf[i].get_textpage().get_text_range() for i in range(min(len(pdf), MAX_PAGES))]
        finally:
            pdf.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(pages, ensure_ascii=False))
    return pages


def real_samples(n: int, seed: int = 0, corpus: Path = DEFAULT_OUT) -> list[RealSample]:
    """`n` samples of the corpus's 7 largest kinds (PDFs with a text layer and text sources,
    at least 50 characters), dealt round-robin over the kinds; past the corpus's documents they
    repeat, each repeat a new sample whose text carries its copy number (a new text to embed).
    Manifest entries are dealt as listed (6 tax forms are listed twice: 686 entries, 680 ids)."""
    by_kind: dict[str, list[RealSample]] = {}
    for entry in load_manifest():
        if not (entry["media_type"] == "application/pdf" or entry["media_type"].startswith("text/")):
            continue
        pages = _pages(entry, corpus)
        if len("".join(pages).strip()) >= 50:
            by_kind.setdefault(entry["kind"], []).append(RealSample(entry["id"], entry["kind"], tuple(pages)))
    kinds = sorted(by_kind, key=lambda k: (-len(by_kind[k]), k))[:KINDS]
    rng = random.Random(seed)
    for kind in kinds:
        rng.shuffle(by_kind[kind])
    dealt = [
        by_kind[kind][i]
        for i in range(max(len(by_kind[k]) for k in kinds))
        for kind in kinds
        if i < len(by_kind[kind])
    ]
    out = []
    for i in range(n):
        sample, copy = dealt[i % len(dealt)], i // len(dealt)
        marked = (*sample.pages[:-1], f"{sample.pages[-1]}\n(copy {copy})")
        texts = sample.pages if copy == 0 else marked
        out.append(RealSample(f"{sample.id}#{copy}", sample.kind, texts, copy))
    return out


def distinct_documents(samples: list[RealSample]) -> int:
    return len({s.id.split("#")[0] for s in samples})


def store_sample(store: BlobStore, document_id: str, sample: RealSample) -> str:
    """Put the sample's OCR result at `ocr/<document_id>.json` as the OCR service would; its ref."""
    pages = tuple(
        OcrPage(index=i, width=1654, height=2339, source="text-layer", text=text, mean_confidence=1.0)
        for i, text in enumerate(sample.pages)
    )
    document = OcrDocument(
        document_id=document_id, engine="tesseract", language="latin", page_count=len(pages), pages=pages
    )
    return str(store.put(f"ocr/{document_id}.json", document.to_json(), content_type="application/json"))
