"""A person's corrections of stacks' boundaries (review) as training data for the boundary model.

A corrected stack shows where its documents truly begin: each of its documents is taught as a
sample (its first page a first page, the others later pages), with the class the page models
see in its pages, since a part's class is not known when its boundaries are moved. The trainer
composes stacks of them with the labelled samples, so the combiner learns from them too.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from docroute.classifier.boundary_cues import PageModels
from docroute.classifier.page_cues import has_text
from services.trainer.core.boundaries import fit_page_models

# A stack's page texts (every page, "" for one not read) and the pages that begin a document.
Corrected = tuple[Sequence[str], Sequence[int]]


def documents_of(stack: Corrected) -> list[list[str]]:
    """The stack's documents, each its pages with text, in page order."""
    texts, starts = stack
    firsts = sorted({0, *(s for s in starts if 0 < s < len(texts))})
    bounds = [*firsts, len(texts)]
    documents = [[t for t in texts[a:b] if has_text(t)] for a, b in itertools.pairwise(bounds)]
    return [d for d in documents if d]


def corrected_samples(pages: PageModels, stacks: Sequence[Corrected]) -> tuple[list[list[str]], list[str]]:
    """Every document of the corrected stacks, with the class the page models give its pages
    (their probabilities summed): samples to learn boundaries from, beside the labelled ones."""
    documents = [d for stack in stacks for d in documents_of(stack)]
    labels = []
    for document in documents:
        rows = pages.rows(document)
        probabilities = pages.page_classes(rows, pages.state_probabilities(rows))
        labels.append(pages.labels[int(np.argmax(probabilities.sum(axis=0)))])
    return documents, labels


def learnt_documents(
    samples: Sequence[Sequence[str]], labels: Sequence[str], stacks: Sequence[Corrected]
) -> tuple[list[list[str]], list[str]]:
    """The documents of the corrected stacks, each with the class that page models fitted on the
    labelled samples' pages give it; none without samples to fit them on."""
    readable = [[t for t in pages if has_text(t)] for pages in samples]
    keep = [n for n, pages in enumerate(readable) if pages]
    if not stacks or not keep:
        return [], []
    page_models = fit_page_models([readable[n] for n in keep], [labels[n] for n in keep])
    return corrected_samples(page_models, stacks)
