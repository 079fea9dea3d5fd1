"""Routes of documents: /process, /documents, results, text, page images, deletion, retention, events,
reprocessing."""

from services.api.documents.routes import documents, events, pages, processing, reprocess, results

__all__ = ["documents", "events", "pages", "processing", "reprocess", "results"]
