"""Quality figures of a trained classifier, computed from out-of-fold probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

# Confidence thresholds a team can pick from: 0.50, 0.55, ..., 0.95.
THRESHOLDS: tuple[float, ...] = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
ECE_BINS = 10


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ThresholdRow:
    """What routing at `threshold` would have done on the out-of-fold predictions."""

    threshold: float
    routed_share: float
    n_routed: int
    # None when nothing would be routed: an error rate of 0 would read as "perfect".
    error_rate: float | None


@dataclass(frozen=True)
class EvaluationReport:
    """Out-of-fold quality of a model: what a team sees before switching routing on."""

    labels: tuple[str, ...]
    n_samples: int
    class_counts: dict[str, int]
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion_matrix: list[list[int]]
    expected_calibration_error: float
    mean_confidence: float
    threshold_table: tuple[ThresholdRow, ...]
    training_seconds: float = 0.0
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-serialisable data (rows of the confusion matrix = truth)."""
        data = asdict(self)
        data["labels"] = list(self.labels)
        data["threshold_table"] = [asdict(row) for row in self.threshold_table]
        data["warnings"] = list(self.warnings)
        return data


def evaluate_predictions(
    y_true: npt.NDArray[np.integer], probabilities: npt.NDArray[np.floating], labels: Sequence[str]
) -> EvaluationReport:
    """Score probabilities (columns in `labels` order) against true label indices."""
    probs = np.asarray(probabilities, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)
    n_classes = len(labels)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    correct = predicted == y_true
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (y_true, predicted), 1)
    per_class = {label: _class_metrics(confusion, i) for i, label in enumerate(labels)}
    present = [m.f1 for m in per_class.values() if m.support > 0]
    return EvaluationReport(
        labels=tuple(labels),
        n_samples=len(y_true),
        class_counts={label: int(confusion[i].sum()) for i, label in enumerate(labels)},
        accuracy=float(correct.mean()),
        macro_f1=float(np.mean(present)),
        per_class=per_class,
        confusion_matrix=confusion.tolist(),
        expected_calibration_error=expected_calibration_error(confidence, correct),
        mean_confidence=float(confidence.mean()),
        threshold_table=threshold_table(confidence, correct),
    )


def expected_calibration_error(
    confidence: npt.NDArray[np.floating], correct: npt.NDArray[np.bool_], bins: int = ECE_BINS
) -> float:
    """Return the support-weighted mean |accuracy - confidence| over equal-width bins."""
    # Bin i holds (i/bins, (i+1)/bins]; a confidence of exactly 0 joins the first bin.
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(float(correct[mask].mean()) - float(confidence[mask].mean()))
    return total / max(len(confidence), 1)


def threshold_table(
    confidence: npt.NDArray[np.floating],
    correct: npt.NDArray[np.bool_],
    thresholds: Sequence[float] = THRESHOLDS,
) -> tuple[ThresholdRow, ...]:
    """For each threshold: share of documents at or above it and the error rate among them."""
    rows = []
    for threshold in thresholds:
        routed = confidence >= threshold
        n_routed = int(routed.sum())
        rows.append(
            ThresholdRow(
                threshold=threshold,
                routed_share=n_routed / max(len(confidence), 1),
                n_routed=n_routed,
                error_rate=float(1.0 - correct[routed].mean()) if n_routed else None,
            )
        )
    return tuple(rows)


def _class_metrics(confusion: npt.NDArray[np.int64], i: int) -> ClassMetrics:
    """Precision/recall/F1 of class `i`; 0 where undefined (no predictions or no support)."""
    tp = float(confusion[i, i])
    predicted, support = float(confusion[:, i].sum()), int(confusion[i].sum())
    precision = tp / predicted if predicted else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassMetrics(precision=precision, recall=recall, f1=f1, support=support)


def out_of_fold_record(
    sample_ids: Sequence[str],
    labels: Sequence[str],
    class_names: Sequence[str],
    oof_probabilities: npt.NDArray[np.floating],
) -> dict[str, Any]:
    """The out-of-fold predictions as stored beside a version (`evaluation.json`), so that any
    threshold can be judged later: per sample its true label and probabilities (`classes` order).
    """
    probs = np.round(np.asarray(oof_probabilities, dtype=np.float64), 5)
    return {
        "classes": list(class_names),
        "samples": [
            {"sample_id": sample_id, "label": label, "probabilities": row.tolist()}
            for sample_id, label, row in zip(sample_ids, labels, probs, strict=True)
        ],
    }
