"""A version's guesses for the unlabelled samples: the most probable class, its share, the runner-up's."""

from __future__ import annotations

import numpy as np

from services.trainer.guesses import predictions_of


def test_each_sample_gets_its_most_probable_class_and_the_runner_up() -> None:
    probabilities = np.array([[0.1, 0.7, 0.2], [0.34, 0.33, 0.33]], dtype=np.float32)
    found = predictions_of(["a", "b"], ("invoice", "payslip", "tax_form"), probabilities)
    assert found == {
        "a": {"class": "payslip", "confidence": 0.7, "runner_up": 0.2},
        "b": {"class": "invoice", "confidence": 0.34, "runner_up": 0.33},
    }
