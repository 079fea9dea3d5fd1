"""The one lock every call into PDFium holds, in every docroute process.

PDFium is not thread-safe: two threads in it at once, even on different documents, crash or
corrupt the process (pypdfium2's documentation). The API renders pages and counts an upload's
pages on its thread pool, and a browser asks for a document's pages at once; ingest's intake and
OCR read PDFs too. Re-entrant, so a helper holding it may call another that takes it.
"""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
