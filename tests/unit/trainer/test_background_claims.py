"""Background rows inside a class's own spread are the class's, not background."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from services.trainer.core.outlier_exposure import claimed_by_classes


def _cluster(rng: np.random.Generator, centre: np.ndarray, n: int, noise: float) -> np.ndarray:
    return centre + noise * rng.standard_normal((n, len(centre)))


def test_a_background_row_among_a_class_is_claimed_and_one_far_from_every_class_is_not() -> None:
    rng = np.random.default_rng(0)
    a, b = np.eye(16)[0] * 10, np.eye(16)[1] * 10
    embeddings = np.vstack([_cluster(rng, a, 15, 1.0), _cluster(rng, b, 15, 1.0)])
    labels = np.repeat(np.arange(2), 15)
    inside_a = _cluster(rng, a, 3, 0.5)
    far = _cluster(rng, np.eye(16)[5] * 10, 3, 1.0)
    claimed = claimed_by_classes(embeddings, labels, 2, np.vstack([inside_a, far]), k=3)
    assert claimed.tolist() == [True, True, True, False, False, False]


def test_a_class_of_one_sample_claims_nothing() -> None:
    rng = np.random.default_rng(1)
    a = np.eye(8)[0] * 10
    embeddings = _cluster(rng, a, 1, 0.1)
    claimed = claimed_by_classes(embeddings, np.zeros(1, dtype=np.int64), 1, _cluster(rng, a, 2, 0.1), k=3)
    assert not claimed.any()


def test_the_trainer_fits_without_the_rows_a_class_claims() -> None:
    """A background row among a class's samples is not fitted as background: that class's new
    documents near it are not pulled towards the background. The conformal limit (on by default)
    guards the same documents another way; it is off here to see the claim rule alone."""
    from services.trainer.core import TrainingConfig, train_classifier
    from services.trainer.core.training import Background

    rng = np.random.default_rng(2)
    a, b, far = (np.eye(16)[i] * 10 for i in (0, 1, 5))
    embeddings = np.vstack([_cluster(rng, a, 15, 1.0), _cluster(rng, b, 15, 1.0)])
    labels = ["a"] * 15 + ["b"] * 15
    texts = [f"{label} {i}" for i, label in enumerate(labels)]
    background = Background(np.vstack([_cluster(rng, a, 20, 0.5), _cluster(rng, far, 20, 1.0)]), "x")
    new_a = _cluster(rng, a, 10, 1.0)

    def flagged(claims: bool, flag_share: float = 0.0) -> float:
        config = TrainingConfig()
        assert config.unknown is not None
        unknown = replace(config.unknown, background_claims=claims, background_flag_share=flag_share)
        config = replace(config, unknown=unknown)
        model = train_classifier(
            texts, embeddings, labels, sample_ids=[str(i) for i in range(30)], embedder_id="usem3",
            version="1", config=config, background=background,
        ).model  # fmt: skip
        rule = model.unknown_rule
        assert rule is not None and rule.background is not None
        return float((rule.background.probability(new_a) > rule.background.threshold).mean())

    assert flagged(claims=False) >= 0.5
    assert flagged(claims=True) == 0.0
    # Without the claim rule, the class's held-out samples score as its new documents do, and
    # the conformal limit rises above them.
    assert flagged(claims=False, flag_share=0.05) <= 0.1


def test_when_the_classes_claim_the_whole_set_the_model_keeps_the_distance_view() -> None:
    """Every background row inside a class: nothing is fitted as background, and the training
    still gives a model whose distance view flags."""
    from services.trainer.core import train_classifier
    from services.trainer.core.training import Background

    rng = np.random.default_rng(3)
    a, b = np.eye(16)[0] * 10, np.eye(16)[1] * 10
    embeddings = np.vstack([_cluster(rng, a, 15, 1.0), _cluster(rng, b, 15, 1.0)])
    labels = ["a"] * 15 + ["b"] * 15
    model = train_classifier(
        [f"{label} {i}" for i, label in enumerate(labels)], embeddings, labels,
        sample_ids=[str(i) for i in range(30)], embedder_id="usem3", version="1",
        background=Background(_cluster(rng, a, 5, 0.3), "x"),
    ).model  # fmt: skip
    assert model.unknown_rule is not None and model.unknown_rule.background is None
    far = _cluster(rng, np.eye(16)[7] * 10, 3, 1.0)
    assert all(v.unknown for v in model.unknown_verdicts(["far"] * 3, far))
