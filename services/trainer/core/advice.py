"""Advice on a workflow's samples: what its version's figures cannot show.

Out-of-fold figures measure a version on the samples it was given. When a class's samples are
copies of a few documents (one sender's invoices, one form filled in again and again), those
figures are high, yet a document of another sender or layout is read with low confidence or as a
look-alike class: the cross-validation never saw one. Measured on the real-document evaluation
(docs/quality.md): 15 German e-invoices of 3-4 scenarios routed 0.08 of invoices from other
senders right, 15 of 15 scenarios 0.65. The advice says so before the mail does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from docroute.classifier.division import MULTI_PAGE_SAMPLES
from docroute.classifier.novelty import unit_rows
from services.trainer.core.outlier_exposure import near_duplicate_groups

# A class whose samples are fewer distinct documents than this, each seen about three times or
# more, gets the advice: its figures describe those few documents.
FEW_DOCUMENTS = 5
COPIES_EACH = 3
# How many samples a class needs for `auto` splitting to reach issue 8's goal (0.85 of stacks split
# exactly): on the same stacks of held-out real documents it split 0.83 / 0.87 / 0.89 at 20 / 30 /
# 40 samples a kind since its combiner learns from the gaps page numbers settle (0.80 / 0.84 /
# 0.86 before the combiner weighed each cue in its direction; bench/README.md, "How `auto` grows
# with a workflow's samples" and "The combiner learns from the gaps page numbers settle"), where
# the version's own out-of-fold figure read 0.87 / 0.90 / 0.90.
AUTO_SAMPLES = 30


def data_warnings(
    labels: list[str], embeddings: npt.NDArray[np.floating], duplicate_similarity: float
) -> tuple[str, ...]:
    """One line per class whose figures cannot be trusted: a single sample (never predicted
    out-of-fold), or samples that are near-copies (embedding cosine similarity above
    ``duplicate_similarity``, joined transitively) of fewer than ``FEW_DOCUMENTS`` documents."""
    counts = Counter(labels)
    unit = unit_rows(np.asarray(embeddings, dtype=np.float32))
    names = np.asarray(labels)
    warnings = []
    for label, n in sorted(counts.items()):
        if n < 2:
            warnings.append(
                f"class {label!r} has 1 sample: it is never predicted out-of-fold, add more samples"
            )
            continue
        distinct = len(near_duplicate_groups(unit[names == label], duplicate_similarity))
        if distinct < FEW_DOCUMENTS and distinct * COPIES_EACH <= n:
            warnings.append(
                f"class {label!r}: its {n} samples are near-copies of {distinct} "
                f"document{'s' if distinct > 1 else ''} (one sender or template each): its figures "
                "describe those; documents of other senders or layouts may be read with low "
                "confidence or as another class. Add samples of other layouts."
            )
    return tuple(warnings)


def splitting_warnings(page_counts: Sequence[int], labels: Sequence[str]) -> tuple[str, ...]:
    """For a workflow that divides stacks itself (`splitting: auto`): what its samples cannot
    teach the boundary model, which learns where a document continues from samples of several
    pages (a class with fewer than MULTI_PAGE_SAMPLES of them is named), and the classes with
    fewer samples than it splits well from (AUTO_SAMPLES).
    ``page_counts``: each sample's pages with text. Measured on the real-document stacks
    (bench/README.md, seeds 7-12): the draw whose 21 invoices were all one page long split 0.29
    of its stacks exactly right, one with 21 of 24 such 0.48, the other four 0.73-0.87."""
    if not any(count > 1 for count in page_counts):
        return (
            "no sample has two pages or more: `auto` splitting has no boundary model to learn, so "
            "every stack is read as one document. Add samples of several pages.",
        )
    pages_by_class: dict[str, list[int]] = {}
    for label, count in zip(labels, page_counts, strict=True):
        pages_by_class.setdefault(label, []).append(count)
    few_pages = tuple(
        warning
        for label, counts in sorted(pages_by_class.items())
        if (warning := _few_pages_warning(label, counts)) is not None
    )
    few = [
        f"{label!r} ({len(counts)})"
        for label, counts in sorted(pages_by_class.items())
        if len(counts) < AUTO_SAMPLES
    ]
    if not few:
        return few_pages
    named = f"classes {', '.join(few)} have" if len(few) > 1 else f"class {few[0]} has"
    return (
        *few_pages,
        f"{named} fewer than "
        f"{AUTO_SAMPLES} samples: `auto` splitting learns where documents begin from the samples, and on "
        "stacks of real documents of other senders it split 0.83 exactly at 20 samples a kind, 0.87 at "
        "30; the version's own boundary figures, read on its samples, say more than that. "
        "Add samples, and correct the divisions held in review.",
    )


def _few_pages_warning(label: str, counts: Sequence[int]) -> str | None:
    """The advice for a class with fewer than MULTI_PAGE_SAMPLES samples of several pages; None
    for one with that many."""
    several = sum(count > 1 for count in counts)
    if several >= MULTI_PAGE_SAMPLES:
        return None
    if not several:
        return (
            f"class {label!r}: its {len(counts)} sample{'s' if len(counts) > 1 else ''} "
            f"{'have' if len(counts) > 1 else 'has'} one page each: `auto` splitting cannot learn "
            "where its documents continue, and may divide one of several pages at each page. Add "
            "samples of several pages if such documents come."
        )
    return (
        f"class {label!r}: {several} of its {len(counts)} samples "
        f"{'have' if several > 1 else 'has'} several pages: `auto` splitting learns where its "
        "documents continue from those, and on stacks of real documents it split 0.71 exactly where "
        f"a kind had under {MULTI_PAGE_SAMPLES} such samples, 0.85 with {MULTI_PAGE_SAMPLES} or more. "
        "Until then a part cut between two of its pages goes to review unless its page numbers or "
        "document numbers settle the cut. Add samples of several pages if such documents come."
    )
