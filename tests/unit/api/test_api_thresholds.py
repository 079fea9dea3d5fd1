"""Threshold figures from out-of-fold predictions: routed share and expected error."""

from __future__ import annotations

import pytest

from services.api.versions.service.thresholds import OutOfFold, figures, per_class, report

# 6 samples, classes a/b. Predicted (confidence, right?):
# a 0.95 right, a 0.85 right, a 0.60 wrong (truly b), b 0.90 right, b 0.70 right, b 0.55 wrong (truly a)
RECORD = {
    "classes": ["a", "b"],
    "samples": [
        {"sample_id": "1", "label": "a", "probabilities": [0.95, 0.05]},
        {"sample_id": "2", "label": "a", "probabilities": [0.85, 0.15]},
        {"sample_id": "3", "label": "b", "probabilities": [0.60, 0.40]},
        {"sample_id": "4", "label": "b", "probabilities": [0.10, 0.90]},
        {"sample_id": "5", "label": "b", "probabilities": [0.30, 0.70]},
        {"sample_id": "6", "label": "a", "probabilities": [0.45, 0.55]},
    ],
}


@pytest.fixture
def oof() -> OutOfFold:
    return OutOfFold.from_record(RECORD)


def test_one_threshold_for_all(oof: OutOfFold) -> None:
    row = figures(oof, [0.8, 0.8], 0.8)
    assert (row.n_documents, row.n_routed, row.routed_share, row.expected_error) == (6, 3, 0.5, 0.0)
    row = figures(oof, [0.5, 0.5], 0.5)
    assert (row.n_routed, row.expected_error) == (6, round(2 / 6, 4))


def test_nothing_routed_has_no_error_rate(oof: OutOfFold) -> None:
    row = figures(oof, [0.99, 0.99], 0.99)
    assert row.n_routed == 0 and row.routed_share == 0.0 and row.expected_error is None


def test_per_class_uses_each_class_threshold(oof: OutOfFold) -> None:
    by_class = per_class(oof, [0.55, 0.95])
    assert by_class["a"].n_documents == 3 and by_class["a"].n_routed == 3
    assert by_class["a"].expected_error == round(1 / 3, 4)
    assert by_class["b"].threshold == 0.95 and by_class["b"].n_routed == 0


def test_report_applies_the_workflow_thresholds(oof: OutOfFold) -> None:
    result = report(oof, version=3, threshold=0.8, class_thresholds={"b": 0.5, "retired": 0.9})
    # a at 0.8: 0.95, 0.85 routed (right); b at 0.5: 0.90, 0.70 right, 0.55 wrong.
    assert result.current.n_routed == 5 and result.current.expected_error == 0.2
    assert result.current_per_class["b"].expected_error == round(1 / 3, 4)
    assert result.class_thresholds == {"b": 0.5}
    assert [r.threshold for r in result.table] == sorted(r.threshold for r in result.table)
    assert {0.5, 0.8, 0.99} <= {r.threshold for r in result.table}
    shares = [r.routed_share for r in result.table]
    assert shares == sorted(shares, reverse=True)


def test_malformed_record_is_refused() -> None:
    with pytest.raises(ValueError, match="malformed"):
        OutOfFold.from_record({"classes": ["a"], "samples": [{"label": "zzz", "probabilities": [1.0]}]})
