"""One router per screen: sign in, workflows, training data, labelling, versions, try it, review."""

from services.console.routes import auth, labelling, review, training, tryit, versions, workflows

__all__ = ["auth", "labelling", "review", "training", "tryit", "versions", "workflows"]
