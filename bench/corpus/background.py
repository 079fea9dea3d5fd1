"""A background set of generic documents for outlier exposure, of kinds the corpus has none of.

    nice -n 19 .venv/bin/python -m bench.corpus.background           # prints what it holds
    nice -n 19 .venv/bin/python -m bench.corpus.background --write   # the product's copy

The product ships the same documents (``--write``: docroute/classifier/data/background.json.gz,
read by docroute.classifier.background): the trainer fits them as one more class, and a
document more like them than like any trained class is unknown (outlier exposure).

Quotations, anecdotes, jokes, poems and definitions from Debian's fortune packages (pinned
versions below, bookworm), in five of the corpus's languages, cut into documents of about 1,500
characters: consecutive entries of one file, the file being the near-duplicate group. None of it
is an invoice, receipt, paper, tax form, licence, policy, minutes or manual page, so a method that
uses it (bench/unknown_views.py) cannot have been fitted to a left-out kind of the evaluation.
The packages go to ``~/.cache/docroute-background/debs``; only the chosen documents enter git,
with their package, version, file and licence.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.corpus.build import _deb, _deb_members

DEFAULT_CACHE = Path(os.environ.get("DOCROUTE_BACKGROUND", Path.home() / ".cache" / "docroute-background"))
# package -> (version, language); sha256 of the .deb, checked after the download.
PACKAGES: dict[str, tuple[str, str, str]] = {
    "fortunes": ("1:1.99.1-7.3", "en", "41d0551dc0ff"),
    "fortunes-de": ("0.35-1", "de", "03fe7a791293"),
    "fortunes-it": ("1.99-4.1", "it", "675df6ecb00c"),
    "fortunes-es": ("1.36", "es", "54636edc1a43"),
    "fortunes-pl": ("0.0.20130525-3", "pl", "39602aece208"),
}
# Each package's terms for its texts, as its /usr/share/doc/<package>/copyright states them.
LICENCES: dict[str, str] = {
    "fortunes": "BSD-3-Clause (fortune-mod: Copyright (c) 1991 The Regents of the University of California)",
    "fortunes-de": "GPL-2.0-or-later (Copyright 1999-2012 Andreas Tille)",
    "fortunes-it": "public domain (its COPYING-POLICY: 'Consider this package freeware (public domain)')",
    "fortunes-es": "public domain ('All fortunes' text and quotes are presumed to be in the public domain')",
    "fortunes-pl": "GPL-2.0-or-later (Copyright 2000-2010 LinuxPL and PLD teams)",
}
PACKAGE_FILE = Path(__file__).parents[2] / "docroute" / "classifier" / "data" / "background.json.gz"
CHUNK = 1_500
PER_FILE = 3
PER_LANGUAGE = 60
_SKIP = re.compile(r"(asciiart|banner|\.dat$|\.u8$)")


@dataclass(frozen=True)
class BackgroundDoc:
    """One background document and where it came from."""

    id: str
    lang: str
    group: str
    text: str
    source: str  # package=version:path


def _chunks(text: str) -> list[str]:
    """Consecutive fortune entries (separated by a '%' line) joined up to about CHUNK characters."""
    entries = [e.strip() for e in re.split(r"^%\s*$", text, flags=re.M) if len(e.strip()) > 20]
    out, current = [], ""
    for entry in entries:
        current = f"{current}\n\n{entry}" if current else entry
        if len(current) >= CHUNK:
            out.append(current)
            current = ""
    return out


def background_documents(cache: Path = DEFAULT_CACHE) -> list[BackgroundDoc]:
    """The background set: up to PER_FILE chunks spread over each fortune file, PER_LANGUAGE per language."""
    docs = []
    for package, (version, lang, digest) in PACKAGES.items():
        deb = _deb(cache, package, version)
        if not hashlib.sha256(deb.read_bytes()).hexdigest().startswith(digest):
            raise ValueError(f"{deb} is not the pinned {package}={version} (sha256 {digest}...)")
        per_file: list[tuple[str, list[str]]] = []
        for name, data in _deb_members(deb):
            if "/games/fortunes" not in name or _SKIP.search(name):
                continue
            chunks = _chunks(data.decode("utf-8", "replace"))
            if chunks:
                step = max(1, len(chunks) // PER_FILE)
                per_file.append((name, chunks[::step][:PER_FILE]))
        taken = 0
        for name, chunks in sorted(per_file):
            for j, text in enumerate(chunks):
                if taken >= PER_LANGUAGE:
                    break
                docs.append(
                    BackgroundDoc(
                        f"{package}:{Path(name).name}:{j}", lang, name, text, f"{package}={version}:{name}"
                    )
                )
                taken += 1
    return docs


def deb_digests(cache: Path = DEFAULT_CACHE) -> dict[str, str]:
    """sha256 (first 12 hex digits) of each downloaded package, to print beside the figures."""
    return {
        package: hashlib.sha256(_deb(cache, package, version).read_bytes()).hexdigest()[:12]
        for package, (version, _, _) in PACKAGES.items()
    }


def write_package_file(path: Path = PACKAGE_FILE, cache: Path = DEFAULT_CACHE) -> dict[str, object]:
    """The product's copy: every document with its source, and each package's version, sha256 and
    licence. Gzipped JSON with a fixed mtime, so the same packages give the same bytes."""
    docs = background_documents(cache)
    digests = deb_digests(cache)
    data: dict[str, object] = {
        "about": "Generic texts of kinds no workflow trains (outlier exposure); built by "
        "bench/corpus/background.py from Debian bookworm's fortune packages",
        "sources": {
            package: {
                "debian_package": f"{package}={version}",
                "sha256": digests[package],
                "language": lang,
                "licence": LICENCES[package],
            }
            for package, (version, lang, _) in PACKAGES.items()
        },
        "documents": [{"id": d.id, "lang": d.lang, "source": d.source, "text": d.text} for d in docs],
    }
    raw = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as packed:
        packed.write(raw)
    return data


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        written = write_package_file()
        print(f"{PACKAGE_FILE}: {PACKAGE_FILE.stat().st_size:,} bytes, {len(written['documents'])} documents")  # type: ignore[arg-type]
    found = background_documents()
    print(f"{len(found)} background documents; languages {dict(Counter(d.lang for d in found))}")
    print(f"groups {len({d.group for d in found})}; packages {deb_digests()}")
