"""One router per screen: sign in, workflows, training data, labelling, label by groups,
versions, try it, review, documents, usage and API, API keys."""

from services.console.routes import (
    auth,
    documents,
    groups,
    keys,
    labelling,
    review,
    training,
    tryit,
    usage,
    versions,
    workflows,
)

__all__ = [
    "auth",
    "documents",
    "groups",
    "keys",
    "labelling",
    "review",
    "training",
    "tryit",
    "usage",
    "versions",
    "workflows",
]
