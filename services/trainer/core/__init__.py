"""Pure training logic: labelled samples in, a calibrated `ClassifierModel` and its report out."""

from services.trainer.core.evaluation import EvaluationReport, evaluate_predictions
from services.trainer.core.training import (
    InsufficientDataError,
    TrainingConfig,
    TrainingResult,
    train_classifier,
)

__all__ = [
    "EvaluationReport",
    "InsufficientDataError",
    "TrainingConfig",
    "TrainingResult",
    "evaluate_predictions",
    "train_classifier",
]
