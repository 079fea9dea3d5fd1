"""Readiness: the rule of thumb, confusions from a confusion matrix, and plain advice."""

from __future__ import annotations

import uuid

from services.api.training.service import readiness


def test_rule_of_thumb() -> None:
    assert readiness.recommended(4, hard=False) == 25
    assert readiness.recommended(5, hard=False) == 50
    assert readiness.recommended(3, hard=True) == 50
    assert readiness.recommended(8, hard=True) == 100


def test_confusions_come_from_the_off_diagonal_largest_first() -> None:
    found = readiness.confusions(["a", "b", "c"], [[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    assert [(c.true_class, c.predicted_class, c.count, c.share) for c in found] == [
        ("a", "b", 2, 0.2),
        ("b", "a", 1, 0.1),
    ]


def test_advice_says_add_more_of_what_is_short_or_confused() -> None:
    confused = readiness.confusions(["invoice", "payslip"], [[18, 2], [0, 20]])
    report = readiness.assess(
        uuid.uuid4(),
        {"invoice": 30, "payslip": 10},
        ["invoice", "payslip"],
        hard=False,
        hard_reason="as asked",
        live_version=2,
        confused=confused,
        pending=1,
        unlabelled=3,
    )
    assert not report.ready
    assert [c.missing for c in report.classes] == [0, 15]
    assert report.advice[0] == "add more payslip: 10 of 25 (15 more)"
    assert "add more invoice and payslip: v2 took 2 of invoice (10%) for payslip" in report.advice
    assert any("label the 3 unlabelled samples" in line for line in report.advice)


def test_hard_is_judged_from_the_live_model_unless_asked() -> None:
    assert readiness.decide_hard(None, None)[0] is False
    assert readiness.decide_hard(None, {"macro_f1": 0.8})[0] is True
    assert readiness.decide_hard(None, {"macro_f1": 0.95})[0] is False
    assert readiness.decide_hard(True, {"macro_f1": 0.95}) == (True, "as asked")
