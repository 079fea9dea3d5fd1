"""Routes of documents: /process, /documents, results, text, page images, deletion, retention, events."""

from services.api.documents.routes import documents, events, pages, processing, results

__all__ = ["documents", "events", "pages", "processing", "results"]
