"""What a threshold means: routed share and expected error on a version's out-of-fold predictions.

The trainer stores, beside each version, `evaluation.json`: every training sample's true label
and the probabilities a model that never saw it gave (cross-validation). Routing those samples
with a threshold shows what the threshold will do: how many documents go straight to
extraction, and how many of those would have the wrong class. Per class means per *predicted*
class, since the router applies the predicted class's threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from docroute.blobstore import BlobRef, BlobStore
from docroute.errors import BlobNotFoundError
from services.api.versions.schemas import ThresholdFigures, ThresholdReport, ThresholdRow

CANDIDATES: tuple[float, ...] = (*(round(0.5 + 0.05 * i, 2) for i in range(10)), 0.97, 0.99)
NOTE = (
    "Measured on the cross-validated (out-of-fold) predictions of the version's training samples: "
    "each sample was classified by a model that did not see it. Documents flagged unknown (unlike "
    "every class) go to review whatever their confidence; they are not part of these figures."
)


@dataclass(frozen=True)
class OutOfFold:
    """Out-of-fold predictions: predicted class index, its probability, and whether it was right."""

    classes: tuple[str, ...]
    predicted: npt.NDArray[np.int64]
    confidence: npt.NDArray[np.float64]
    correct: npt.NDArray[np.bool_]

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> OutOfFold:
        """Parse `evaluation.json`; raises ValueError when it is malformed."""
        try:
            classes = tuple(str(c) for c in record["classes"])
            samples = list(record["samples"])
            probs = np.array([s["probabilities"] for s in samples], dtype=np.float64)
            probs = probs.reshape(-1, len(classes))
            truth = np.array([classes.index(s["label"]) for s in samples], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed evaluation record: {exc!r}") from exc
        predicted = probs.argmax(axis=1) if len(samples) else np.zeros(0, dtype=np.int64)
        confidence = probs.max(axis=1) if len(samples) else np.zeros(0)
        return cls(classes, predicted, confidence, predicted == truth)


def figures(oof: OutOfFold, thresholds: Sequence[float], threshold: float | None) -> ThresholdFigures:
    """Route every sample at its predicted class's threshold (`thresholds`, in `classes` order)."""
    applied = np.asarray(thresholds, dtype=np.float64)[oof.predicted]
    routed = oof.confidence >= applied - 1e-9
    n_routed = int(routed.sum())
    return ThresholdFigures(
        threshold=threshold,
        n_documents=len(oof.confidence),
        n_routed=n_routed,
        routed_share=round(n_routed / len(oof.confidence), 4) if len(oof.confidence) else 0.0,
        # None when nothing is routed: an error of 0 would read as "perfect".
        expected_error=round(float(1.0 - oof.correct[routed].mean()), 4) if n_routed else None,
    )


def per_class(oof: OutOfFold, thresholds: Sequence[float]) -> dict[str, ThresholdFigures]:
    """Figures among the samples predicted as each class, at that class's threshold."""
    out = {}
    for index, name in enumerate(oof.classes):
        mask = oof.predicted == index
        subset = OutOfFold(oof.classes, oof.predicted[mask], oof.confidence[mask], oof.correct[mask])
        out[name] = figures(subset, thresholds, float(thresholds[index]))
    return out


def report(
    oof: OutOfFold, *, version: int, threshold: float, class_thresholds: Mapping[str, float]
) -> ThresholdReport:
    """The workflow's current thresholds and a table of candidate thresholds, overall and per class."""
    current = [float(class_thresholds.get(name, threshold)) for name in oof.classes]
    table = []
    for candidate in sorted({*CANDIDATES, threshold, *class_thresholds.values()}):
        same = [candidate] * len(oof.classes)
        row = figures(oof, same, candidate)
        table.append(ThresholdRow(**row.model_dump(), per_class=per_class(oof, same)))
    return ThresholdReport(
        version=version,
        n_samples=len(oof.confidence),
        threshold=threshold,
        class_thresholds={k: v for k, v in class_thresholds.items() if k in oof.classes},
        current=figures(oof, current, None),
        current_per_class=per_class(oof, current),
        table=table,
        note=NOTE,
    )


def load(store: BlobStore, artifact_ref: str) -> OutOfFold | None:
    """The version's stored out-of-fold predictions; None for versions trained before they were kept.

    :raises ValueError: when the stored record is malformed.
    """
    key = BlobRef.parse(artifact_ref).key + "evaluation.json"
    try:
        record = store.get_json(key)
    except BlobNotFoundError:
        return None
    return OutOfFold.from_record(record)
