"""The promotion gate: does a new version go live, or stay a candidate?

A candidate goes live only if it is not worse than the live version *on the same evaluation*,
and both sides of that evaluation must be honest (out-of-sample) predictions:

- `unseen_samples` (the usual case): the samples of the current training set that the live
  version never trained on with their current label (new samples, relabelled ones). The live
  model has not seen them, and the candidate's cross-validated (out-of-fold) predictions come
  from fold models that did not see them either. Scoring the live model on samples it trained
  on would flatter it; scoring the candidate on its own training samples would flatter it.
- `same_folds` (nothing new to score on, e.g. a request after removing samples): the live
  version's recipe (embedder + hyperparameters) cross-validated on the same folds of the
  current training set as the candidate. With the same recipe that is the candidate itself,
  so it is not worse by construction.

"Not worse" is deliberately strict: at least as many of those samples right. Holding back a
version costs little (it stays a candidate, can be previewed and promoted by hand), a worse
live version misroutes mail. The rule corrects itself: while a candidate is held back, the
live version's unseen samples keep accumulating, so the next comparison is larger and surer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Method = Literal["first_version", "unseen_samples", "same_folds", "pinned"]


@dataclass(frozen=True)
class GateDecision:
    """The verdict, with the figures it rests on (what `model.published` reports)."""

    live: bool
    reason: str
    method: Method
    live_version: int | None = None
    n_samples: int = 0
    candidate_accuracy: float | None = None
    live_accuracy: float | None = None
    candidate_macro_f1: float | None = None
    live_macro_f1: float | None = None

    def evaluation(self) -> dict[str, Any]:
        """The comparison as `model.published` carries it (`evaluation`)."""
        return {
            "method": self.method,
            "live_version": self.live_version,
            "n_samples": self.n_samples,
            "candidate_accuracy": self.candidate_accuracy,
            "live_accuracy": self.live_accuracy,
            "candidate_macro_f1": self.candidate_macro_f1,
            "live_macro_f1": self.live_macro_f1,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"live": self.live, "reason": self.reason, **self.evaluation()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateDecision:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def first_version(n_samples: int) -> GateDecision:
    return GateDecision(
        True,
        "no live version to compare with: the first version goes live",
        "first_version",
        n_samples=n_samples,
    )


def not_compared(live_version: int, why: str, n_samples: int) -> GateDecision:
    """The live version cannot be compared with (`why`, read after "the live vN": its artifact
    or recipe is unreadable here, e.g. a newer release's during a rolling update): the candidate
    goes live, as a first version would."""
    return GateDecision(
        True,
        f"the live v{live_version}{why}: goes live",
        "first_version",
        live_version=live_version,
        n_samples=n_samples,
    )


def pinned(live_version: int) -> GateDecision:
    return GateDecision(
        False,
        f"v{live_version} is pinned: new versions stay candidates until one is promoted by hand",
        "pinned",
        live_version=live_version,
    )


def unseen_indexes(
    sample_ids: Sequence[str], labels: Sequence[str], trained_on: Mapping[str, str]
) -> list[int]:
    """Positions of samples the live version never trained on with their current label."""
    pairs = enumerate(zip(sample_ids, labels, strict=True))
    return [i for i, (sample_id, label) in pairs if trained_on.get(sample_id) != label]


def compare(
    truth: Sequence[str],
    candidate: Sequence[str],
    live: Sequence[str],
    *,
    method: Method,
    live_version: int,
) -> GateDecision:
    """Both sides' predictions for the same samples against their labels; ties go live."""
    n = len(truth)
    cand_right = sum(t == p for t, p in zip(truth, candidate, strict=True))
    live_right = sum(t == p for t, p in zip(truth, live, strict=True))
    not_worse = cand_right >= live_right
    what = f"samples v{live_version} never saw" if method == "unseen_samples" else "the same folds"
    verdict = "not worse: goes live" if not_worse else "worse: stays a candidate (promote it by hand)"
    return GateDecision(
        live=not_worse,
        reason=f"on {n} {what} the candidate got {cand_right} right, v{live_version} {live_right}: {verdict}",
        method=method,
        live_version=live_version,
        n_samples=n,
        candidate_accuracy=round(cand_right / n, 6) if n else None,
        live_accuracy=round(live_right / n, 6) if n else None,
        candidate_macro_f1=round(macro_f1(truth, candidate), 6) if n else None,
        live_macro_f1=round(macro_f1(truth, live), 6) if n else None,
    )


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Mean F1 over the classes present in `truth` (a class never predicted scores 0)."""
    scores = []
    for label in sorted(set(truth)):
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        n_pred = sum(p == label for p in predicted)
        n_true = sum(t == label for t in truth)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0
