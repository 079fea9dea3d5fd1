"""Is there enough training data? Counts per class against the rule of thumb, and the classes
the live version confuses (from its cross-validated confusion matrix).

Rule of thumb: at least 25 labelled samples per class with fewer than 5 classes, at least 50
with 5 or more; twice that for a hard task. A task counts as hard when asked (`hard=true`) or,
by default, when the live version's cross-validated macro-F1 is below 0.9.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.api.documents.models import Document
from services.api.training.schemas import ClassReadiness, Confusion, Readiness
from services.api.training.service import annotation

FEW_CLASSES = 5
PER_CLASS_FEW, PER_CLASS_MANY = 25, 50
HARD_BELOW_MACRO_F1 = 0.9
# A confusion worth a sentence of advice: this share of a class's samples taken for another.
ADVICE_SHARE = 0.05


def recommended(n_classes: int, hard: bool) -> int:
    base = PER_CLASS_FEW if n_classes < FEW_CLASSES else PER_CLASS_MANY
    return base * 2 if hard else base


def rule_text(n_classes: int, hard: bool) -> str:
    per = recommended(n_classes, hard)
    size = f"fewer than {FEW_CLASSES}" if n_classes < FEW_CLASSES else f"{FEW_CLASSES} or more"
    hard_note = ", hard task" if hard else ""
    return f"at least {per} labelled samples per class ({n_classes} classes: {size}{hard_note})"


def confusions(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> list[Confusion]:
    """Off-diagonal cells of a confusion matrix (rows: truth), largest first."""
    found = []
    for i, row in enumerate(matrix):
        total = sum(row)
        for j, count in enumerate(row):
            if i != j and count > 0:
                found.append(
                    Confusion(
                        true_class=labels[i],
                        predicted_class=labels[j],
                        count=count,
                        share=round(count / total, 4),
                    )
                )
    return sorted(found, key=lambda c: (-c.count, -c.share, c.true_class, c.predicted_class))


def assess(
    workflow_id: uuid.UUID,
    counts: Mapping[str, int],
    labels: Sequence[str],
    *,
    hard: bool,
    hard_reason: str,
    live_version: int,
    confused: Sequence[Confusion],
    pending: int,
    unlabelled: int,
) -> Readiness:
    """The report; `advice` says plainly what to add."""
    per = recommended(len(labels), hard)
    classes = [
        ClassReadiness(
            label=label,
            samples=counts.get(label, 0),
            recommended=per,
            missing=max(per - counts.get(label, 0), 0),
            ready=counts.get(label, 0) >= per,
        )
        for label in labels
    ]
    advice = [
        f"add more {c.label}: {c.samples} of {c.recommended} ({c.missing} more)"
        for c in classes
        if not c.ready
    ]
    for c in confused:
        if c.share >= ADVICE_SHARE:
            advice.append(
                f"add more {c.true_class} and {c.predicted_class}: v{live_version} took {c.count} of "
                f"{c.true_class} ({c.share:.0%}) for {c.predicted_class}"
            )
    if unlabelled:
        advice.append(f"label the {unlabelled} unlabelled samples (GET .../samples?state=unlabelled)")
    if not advice:
        advice.append("enough data by the rule of thumb: watch the review queue for classes that need more")
    return Readiness(
        workflow_id=workflow_id,
        ready=all(c.ready for c in classes),
        rule=rule_text(len(labels), hard),
        hard=hard,
        hard_reason=hard_reason,
        classes=classes,
        live_version=live_version,
        confusions=list(confused),
        advice=advice,
        samples_pending=pending,
        samples_unlabelled=unlabelled,
    )


def label_counts(session: Session, workflow_id: uuid.UUID) -> dict[str, int]:
    """Read, labelled, not removed samples per label (review corrections included)."""
    query = (
        select(Document.label, func.count())
        .where(Document.workflow_id == workflow_id, Document.label.is_not(None))
        .where(Document.ocr_ref.is_not(None), Document.status != "failed")
        .where(Document.sample_removed.is_(False), Document.purpose != "preview")
        .group_by(Document.label)
    )
    return {str(label): int(n) for label, n in session.execute(query)}


def state_count(session: Session, workflow_id: uuid.UUID, state: Any) -> int:
    query = annotation.samples_query(workflow_id, state).with_only_columns(func.count())
    return int(session.scalar(query) or 0)


def decide_hard(requested: bool | None, live_metrics: Mapping[str, Any] | None) -> tuple[bool, str]:
    if requested is not None:
        return requested, "as asked"
    macro_f1 = (live_metrics or {}).get("macro_f1")
    if macro_f1 is None:
        return False, "no live model yet: assumed not hard (pass hard=true for look-alike classes)"
    if macro_f1 < HARD_BELOW_MACRO_F1:
        return (
            True,
            f"the live version's cross-validated macro-F1 is {macro_f1:.2f} (< {HARD_BELOW_MACRO_F1})",
        )
    return False, f"the live version's cross-validated macro-F1 is {macro_f1:.2f} (>= {HARD_BELOW_MACRO_F1})"
