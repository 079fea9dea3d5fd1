"""Routes of model versions: /versions, promotions and thresholds."""

from services.api.versions.routes import thresholds, versions

__all__ = ["thresholds", "versions"]
