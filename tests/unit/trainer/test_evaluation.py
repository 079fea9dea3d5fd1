"""Evaluation figures: metrics, calibration error and the routing threshold table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.trainer.core.evaluation import (
    THRESHOLDS,
    evaluate_predictions,
    expected_calibration_error,
    threshold_table,
)

LABELS = ("invoice", "lease", "payslip")


def _random_predictions(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities that are right more often when confident."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += rng.uniform(0, 4, size=n)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, probs


def test_thresholds_run_from_half_to_095() -> None:
    assert THRESHOLDS[0] == 0.5
    assert THRESHOLDS[-1] == 0.95
    assert len(THRESHOLDS) == 10


def test_threshold_table_routes_less_and_errs_less_as_it_rises() -> None:
    y, probs = _random_predictions()
    rows = evaluate_predictions(y, probs, LABELS).threshold_table
    shares = [row.routed_share for row in rows]
    assert shares == sorted(shares, reverse=True)
    assert all(row.n_routed == round(row.routed_share * len(y)) for row in rows)
    errors = [row.error_rate for row in rows if row.error_rate is not None]
    # Not strictly monotone on a sample, but the top threshold must beat the bottom one.
    assert errors[-1] < errors[0]


def test_threshold_table_reports_none_when_nothing_is_routed() -> None:
    rows = threshold_table(np.array([0.4, 0.45]), np.array([True, False]))
    assert all(row.n_routed == 0 and row.error_rate is None for row in rows)


def test_metrics_of_a_known_confusion() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.7 + 0.1
    report = evaluate_predictions(y, probs, LABELS)
    assert report.accuracy == pytest.approx(4 / 6)
    assert report.confusion_matrix == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert report.per_class["lease"].precision == pytest.approx(2 / 3)
    assert report.per_class["lease"].recall == 1.0
    assert report.per_class["payslip"].f1 == pytest.approx(2 / 3)
    assert report.macro_f1 == pytest.approx(np.mean([0.5, 0.8, 2 / 3]))
    assert report.class_counts == {"invoice": 2, "lease": 2, "payslip": 2}


def test_ece_is_zero_when_confidence_equals_accuracy() -> None:
    confidence = np.array([0.75] * 4 + [1.0] * 2)
    correct = np.array([True, True, True, False, True, True])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0)


def test_ece_of_an_overconfident_model() -> None:
    confidence = np.full(10, 0.95)
    correct = np.array([True] * 5 + [False] * 5)
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.45)


def test_report_to_dict_is_json_serialisable() -> None:
    y, probs = _random_predictions(50)
    data = evaluate_predictions(y, probs, LABELS).to_dict()
    decoded = json.loads(json.dumps(data))
    assert decoded["labels"] == list(LABELS)
    assert len(decoded["threshold_table"]) == 10
    assert set(decoded["per_class"]["invoice"]) == {"precision", "recall", "f1", "support"}
