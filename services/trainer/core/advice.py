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

import numpy as np
import numpy.typing as npt

from docroute.classifier.novelty import unit_rows
from services.trainer.core.outlier_exposure import near_duplicate_groups

# A class whose samples are fewer distinct documents than this, each seen about three times or
# more, gets the advice: its figures describe those few documents.
FEW_DOCUMENTS = 5
COPIES_EACH = 3


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
