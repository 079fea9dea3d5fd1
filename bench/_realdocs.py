"""The real-document corpus as the product reads it: text per document, cached by sha256.

PDFs and images go through the OCR service's own extraction (`extract_document`: text layer where
a PDF has one, else Tesseract), on the first `READ_PAGES` pages; text sources are their text. The
text is cached in ``<corpus>/text/<sha256>.json`` so a rerun costs nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.corpus.build import DEFAULT_OUT, MANIFEST

READ_PAGES = 3  # the class shows on the first pages; the classifier reads 20,000 characters
# A document with less text than this is left out of the evaluations: nothing to classify (a few
# receipt scans OCR to next to nothing).
MIN_CHARS = 50


@dataclass(frozen=True)
class RealDoc:
    """One corpus document and the text the product reads from it."""

    id: str
    kind: str
    lang: str
    group: str
    media_type: str
    text: str
    sources: tuple[str, ...]  # how each page was read: text-layer, tesseract, text


def load_manifest(path: Path = MANIFEST) -> list[dict[str, Any]]:
    """The manifest's document entries."""
    return list(json.loads(path.read_text())["documents"])


def _extract(entry: dict[str, Any], data: bytes, engine: Any) -> dict[str, Any]:
    """Read one document as the OCR service does."""
    from services.ocr.core.extract import extract_document

    if entry["media_type"].startswith("text/"):
        return {"text": data.decode("utf-8", "replace"), "sources": ["text"], "seconds": 0.0}
    started = time.perf_counter()
    doc = extract_document(
        data,
        entry["media_type"],
        document_id=entry["id"],
        relevant_pages=None,
        cropping=False,
        language="latin",
        engine=engine,
        max_pages=READ_PAGES,
    )
    return {
        "text": doc.text,
        "sources": [page.source for page in doc.pages],
        "page_count": doc.page_count,
        "seconds": round(time.perf_counter() - started, 2),
    }


def load_corpus(corpus: Path = DEFAULT_OUT, *, verbose: bool = True) -> list[RealDoc]:
    """Every document of the manifest with its text, extracting (and caching) what is missing."""
    cache = corpus / "text"
    cache.mkdir(parents=True, exist_ok=True)
    engine = None
    docs = []
    entries = load_manifest()
    for i, entry in enumerate(entries):
        cached = cache / f"{entry['sha256']}.json"
        if not cached.exists():
            if engine is None:
                from services.ocr.adapters import TesseractEngine

                engine = TesseractEngine()
            data = (corpus / entry["path"]).read_bytes()
            try:
                result = _extract(entry, data, engine)
            except Exception as exc:  # noqa: BLE001 - an unreadable file is a finding, not a crash
                result = {"text": "", "sources": [], "error": repr(exc)}
            cached.write_text(json.dumps(result, ensure_ascii=False))
            if verbose:
                print(
                    f"[{i + 1}/{len(entries)}] {entry['id']}: {','.join(result['sources'])} "
                    f"{result.get('seconds', 0)} s {result.get('error', '')}",
                    flush=True,
                )
        result = json.loads(cached.read_text())
        docs.append(
            RealDoc(
                id=entry["id"],
                kind=entry["kind"],
                lang=entry["lang"],
                group=entry["group"],
                media_type=entry["media_type"],
                text=result["text"],
                sources=tuple(result["sources"]),
            )
        )
    return docs


def readable_corpus(corpus: Path = DEFAULT_OUT, *, verbose: bool = True) -> list[RealDoc]:
    """`load_corpus`'s documents with at least MIN_CHARS characters of text: the evaluations' set."""
    return [d for d in load_corpus(corpus, verbose=verbose) if len(d.text.strip()) >= MIN_CHARS]


if __name__ == "__main__":
    corpus = load_corpus()
    empty = [d.id for d in corpus if len(d.text.strip()) < 50]
    print(f"{len(corpus)} documents read; {len(empty)} with under 50 characters: {empty[:20]}")
