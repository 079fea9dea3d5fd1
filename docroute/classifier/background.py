"""The background set: real public documents of kinds no workflow is assumed to train, shipped
with the product.

The trainer fits them as one more class beside a workflow's own (outlier exposure, see
docroute.classifier.openset), without the documents that lie inside a class's own spread
(services/trainer/core/outlier_exposure.claimed_by_classes: a workflow may train a kind the set
holds): a document the model finds more like them than like any trained class is unknown; and
the wording view, where it speaks corroborated, reads how near the nearest of them lies
(docroute.classifier.openset.nearest_background_lean; the model keeps their embeddings). 45
statistical reports, notices, budget and expenditure tables, guidance and surveys, works of the
US federal government (public domain), read from the test-PDF folders of two PDF libraries
pinned at a commit; built by ``bench/corpus/background_documents.py --write`` with repository,
commit, path, sha256, issuer and licence per document. None of their sources is a source of the
evaluation corpus. Until 2026-12-01 the set was generic texts (quotations, jokes, poems, Bible
passages: bench/corpus/background.py); real documents catch more documents of a left-out kind at
fewer known documents flagged (docs/quality.md). Gzipped JSON: reading it runs no code.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BACKGROUND_FILE = Path(__file__).parent / "data" / "background.json.gz"


@dataclass(frozen=True)
class BackgroundSet:
    """The shipped background documents and the digest that names this set."""

    texts: tuple[str, ...]
    sources: tuple[str, ...]  # package=version:path of each text
    digest: str  # first 16 hex digits of the file's sha256: which set a model was fitted with


@cache
def load_background(path: Path = BACKGROUND_FILE) -> BackgroundSet:
    """The background set (read once per process)."""
    raw = path.read_bytes()
    documents = json.loads(gzip.decompress(raw))["documents"]
    return BackgroundSet(
        texts=tuple(str(d["text"]) for d in documents),
        sources=tuple(str(d["source"]) for d in documents),
        digest=hashlib.sha256(raw).hexdigest()[:16],
    )
