"""Routes of training data: samples, batches, annotations, readiness, preview."""

from services.api.training.routes import annotations, batches, preview, readiness, samples

__all__ = ["annotations", "batches", "preview", "readiness", "samples"]
