"""One router per screen: sign in, workflows, training data, labelling, label by groups,
versions, try it, review."""

from services.console.routes import auth, groups, labelling, review, training, tryit, versions, workflows

__all__ = ["auth", "groups", "labelling", "review", "training", "tryit", "versions", "workflows"]
