"""The bench's documents: text PDFs, PNG scans and labelled samples from tests/factories."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.factories.documents import DOCUMENT_KINDS, document_lines, make_scanned_image, make_text_pdf

LABELS: tuple[str, ...] = DOCUMENT_KINDS


@dataclass(frozen=True)
class Doc:
    """One file to submit, with what it is."""

    filename: str
    kind: str
    data: bytes
    pages: int


@dataclass(frozen=True)
class Sizes:
    """How many documents each phase uses."""

    text_docs: int
    text_pages: int
    scans: int
    samples_per_class: int
    idle_text: int
    idle_scans: int
    repeats: int


DEFAULT = Sizes(
    text_docs=40, text_pages=2, scans=12, samples_per_class=6, idle_text=5, idle_scans=3, repeats=3
)
QUICK = Sizes(text_docs=10, text_pages=2, scans=3, samples_per_class=4, idle_text=2, idle_scans=1, repeats=1)


def text_docs(count: int, pages: int, rng: random.Random, prefix: str = "text") -> list[Doc]:
    """Digital PDFs with a text layer, `pages` pages each, kinds in turn."""
    docs = []
    for i in range(count):
        kind = LABELS[i % len(LABELS)]
        pdf = make_text_pdf(document_lines(kind, rng), pages=pages)
        docs.append(Doc(f"{prefix}-{i}-{kind}.pdf", kind, pdf, pages))
    return docs


def scan_docs(count: int, rng: random.Random, prefix: str = "scan") -> list[Doc]:
    """Flat 200-dpi PNG scans (noisy, slightly rotated), one page each."""
    docs = []
    for i in range(count):
        kind = LABELS[i % len(LABELS)]
        png = make_scanned_image(document_lines(kind, rng), background=False, seed=rng.randrange(1 << 30))
        docs.append(Doc(f"{prefix}-{i}-{kind}.png", kind, png, 1))
    return docs


def training_samples(per_class: int, rng: random.Random) -> list[Doc]:
    """Labelled one-page text PDFs, `per_class` of every label."""
    return [
        Doc(f"sample-{kind}-{i}.pdf", kind, make_text_pdf(document_lines(kind, rng)), 1)
        for kind in LABELS
        for i in range(per_class)
    ]
