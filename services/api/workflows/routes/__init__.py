"""Routes of workflows: /workflows, labels, thumbnails, per-workflow docs and snippets."""

from services.api.workflows.routes import docs, labels, thumbnails, workflows

__all__ = ["docs", "labels", "thumbnails", "workflows"]
