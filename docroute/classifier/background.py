"""The background set: generic texts of kinds no workflow trains, shipped with the product.

The trainer fits them as one more class beside a workflow's own (outlier exposure, see
docroute.classifier.openset): a document the model finds more like them than like any trained
class is unknown. 327 quotations, jokes, poems and passages of old Bible translations in 13 of
the languages docroute reads (Debian's permissive fortune packages, the TextGrid Digital
Library's German poems, public-domain SWORD modules), built by ``bench/corpus/background.py
--write`` (version or commit, and licence per source in the file: public domain, BSD-3-Clause or
CC-BY-3.0, never a copyleft text, since the set ships inside the product's package). Chosen
because no mailroom trains such a class and none of it is an invoice, receipt, form, contract,
licence, policy, minutes, paper or manual: the kinds the evaluation corpus holds, so the measured
figures (docs/quality.md) were not fitted to them. Gzipped JSON: reading it runs no code.
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
