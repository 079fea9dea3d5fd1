"""Routes of documents: /process, /documents, results, text, deletion, retention, events."""

from services.api.documents.routes import documents, events, processing, results

__all__ = ["documents", "events", "processing", "results"]
