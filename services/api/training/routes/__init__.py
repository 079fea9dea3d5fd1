"""Routes of training data: samples, batches, annotations, groups, readiness, preview."""

from services.api.training.routes import annotations, batches, groups, preview, readiness, samples

__all__ = ["annotations", "batches", "groups", "preview", "readiness", "samples"]
