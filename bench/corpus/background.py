"""A background set of generic documents for outlier exposure, of kinds the corpus has none of.

    nice -n 19 .venv/bin/python -m bench.corpus.background           # prints what it holds
    nice -n 19 .venv/bin/python -m bench.corpus.background --write   # the product's copy

The product shipped the same documents until 2026-12-01 (docroute.classifier.background): the
trainer fitted them as one more class, and a document more like them than like any trained class
was unknown (outlier exposure). Since then it ships real public documents instead
(bench/corpus/background_documents.py: more left-out kinds caught at fewer known documents
flagged, docs/quality.md); ``--write`` writes this set to ``~/.cache/docroute-background/
generic.json.gz``, which bench/quality.py measures beside the shipped one.

Quotations, anecdotes, jokes and definitions from Debian's fortune packages (pinned versions
below, bookworm: English, Italian, Spanish) and German poems of the TextGrid Digital Library (a
public GitHub repository pinned at a commit), cut into documents of about 1,500 characters:
consecutive entries of one file, the file (a fortune file, a poet) being the near-duplicate
group. None of it is an invoice, receipt, paper, tax form, licence, policy, minutes or manual
page, so a method that uses it (bench/unknown_views.py) cannot have been fitted to a left-out kind
of the evaluation. Only sources under permissive terms (PERMISSIVE): the product ships these texts
inside its package, and docroute declares no licence of its own, so copyleft texts (fortunes-de,
fortunes-pl, fortunes-br, fortunes-cs: GPL) are left out. The packages go to
``~/.cache/docroute-background/debs``, the repository is read from ``/work/.mirror`` or cloned;
only the chosen documents enter git, with their source, version or commit, file and licence.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import struct
import sys
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.corpus.build import GitSource, _deb, _deb_members

DEFAULT_CACHE = Path(os.environ.get("DOCROUTE_BACKGROUND", Path.home() / ".cache" / "docroute-background"))
DEFAULT_MIRRORS = Path(os.environ.get("DOCROUTE_MIRRORS", "/work/.mirror"))
# Licences whose texts the product may ship without passing terms on to its users' code: public
# domain, permissive (BSD, MIT, Apache) and attribution-only Creative Commons. Share-alike and
# copyleft (GPL, CC-BY-SA) are not in it.
PERMISSIVE = frozenset(
    {"public-domain", "CC0-1.0", "BSD-3-Clause", "MIT", "Apache-2.0", "CC-BY-3.0", "CC-BY-4.0"}
)
# package -> (version, language); sha256 of the .deb, checked after the download.
PACKAGES: dict[str, tuple[str, str, str]] = {
    "fortunes": ("1:1.99.1-7.3", "en", "41d0551dc0ff"),
    "fortunes-it": ("1.99-4.1", "it", "675df6ecb00c"),
    "fortunes-es": ("1.36", "es", "54636edc1a43"),
}
# Each source's terms for its texts, as its /usr/share/doc/<package>/copyright (or the
# repository's README) states them: (SPDX-style identifier, the words that say so).
LICENCES: dict[str, tuple[str, str]] = {
    "fortunes": (
        "BSD-3-Clause",
        "fortune-mod: Copyright (c) 1991 The Regents of the University of California; BSD licence "
        "with the advertising clause deleted",
    ),
    "fortunes-it": (
        "public-domain",
        "its COPYING-POLICY: 'Consider this package freeware (public domain). [...] If you want to "
        "include fortune-it in a commercial package, you may do it freely.'",
    ),
    "fortunes-es": (
        "public-domain",
        "'All fortunes' text and quotes are presumed to be in the public domain'; the GPL-2+ in "
        "its copyright file 'applies to the code only (not to the fortunes)'",
    ),
    "linhd-postdata/textgrid-poetry": (
        "CC-BY-3.0",
        "TextGrid Digital Library (textgrid.de, digitised by Editura / zeno.org): 'The texts as "
        "such [...] are available in the public domain'; the database and mark-up under Creative "
        "Commons 'by' 3.0. Attribution: TextGrid, www.editura.de",
    ),
}
# Left out, with the reason (bookworm's copyright files): GPL texts cannot ship in a package
# under another licence without a decision by whoever owns docroute's licence.
NOT_PERMISSIVE = {
    "fortunes-de": "GPL-2.0-or-later (Copyright 1999-2012 Andreas Tille)",
    "fortunes-pl": "GPL-2.0-or-later (Copyright 2000-2010 LinuxPL and PLD teams)",
    "fortunes-br": "GPL-2.0-or-later",
    "fortunes-cs": "GPL-3.0-or-later",
}
# German poems: a public GitHub repository pinned at a commit, one JSON file per poet (the poet
# is the near-duplicate group). Poets who died before 1920, so the poems are public domain
# everywhere, whatever the database's terms.
TEXTGRID = ("linhd-postdata/textgrid-poetry", "33a990cbf8e078edf3615f9ff35c4239065270b1", "de")
# Old Bible translations in more of the languages docroute reads, from a public GitHub repository
# pinned at a commit (CrossWire SWORD modules, each with its own DistributionLicense, checked as
# the module is read). Only translations whose translators died long ago (1613-1882), or under
# CC-BY; left out: CroSaric (1942, the translator died 1960), Norwegian 1921/1930 and Finnish
# 1933/38 (twentieth-century committees), and the modules marked non-commercial or share-alike.
BIBLES_REPO = ("scrollmapper/bible_databases", "a228a19a29099a41c196c2a310cd93e50a390e30")
# module -> (language, licence id, the module's DistributionLicense as it must read)
BIBLES: dict[str, tuple[str, str, str]] = {
    "PolGdanska": ("pl", "public-domain", "Public Domain"),
    "CzeBKR": ("cs", "public-domain", "Public Domain"),
    "DutSVV": ("nl", "public-domain", "Public Domain"),
    "FrePGR": ("fr", "public-domain", "Public Domain"),
    "SweKarlXII1873": ("sv", "public-domain", "Public Domain"),
    "DaOT1871NT1907": ("da", "public-domain", "Public Domain"),
    "FinBiblia": ("fi", "public-domain", "Public Domain"),
    "SloStritar": ("sl", "public-domain", "Public Domain"),
    "PorBLivre": ("pt", "CC-BY-3.0", "Creative Commons Attribution 3.0 Brazil"),
}
PER_BIBLE = 12
# Whom an attribution licence names (the module's Copyright line).
BIBLE_NOTICES = {
    "PorBLivre": "Bíblia Livre, (C) 2017 Diego Santos, Mario Sérgio & Marco Teles, CC BY 3.0 Brazil",
}
TEXTGRID_POETS = (
    "Brentano, Clemens",
    "Busch, Wilhelm",
    "Chamisso, Adelbert von",
    "Claudius, Matthias",
    "Droste-Hülshoff, Annette von",
    "Eichendorff, Joseph von",
    "Fontane, Theodor",
    "Freiligrath, Ferdinand",
    "Goethe, Johann Wolfgang",
    "Hebbel, Friedrich",
    "Heine, Heinrich",
    "Hoffmann von Fallersleben, August Heinrich",
    "Keller, Gottfried",
    "Lenau, Nikolaus",
    "Lessing, Gotthold Ephraim",
    "Morgenstern, Christian",
    "Novalis",
    "Schiller, Friedrich",
    "Storm, Theodor",
    "Uhland, Ludwig",
)
# The product shipped this set until 2026-12-01 ~17:00 UTC; it ships real documents since
# (bench/corpus/background_documents.py). This copy is what bench/quality.py compares them with.
PACKAGE_FILE = DEFAULT_CACHE / "generic.json.gz"
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


def _poem_chunks(data: bytes) -> list[str]:
    """Consecutive poems of one poet (title, then stanzas) joined up to about CHUNK characters."""
    entries = []
    for poem in json.loads(data):
        stanzas = "\n\n".join("\n".join(lines) for lines in poem.get("text") or [] if lines)
        if len(stanzas) > 20:
            entries.append(f"{poem.get('title') or ''}\n\n{stanzas}".strip())
    return _chunks("\n%\n".join(entries))


def textgrid_documents(mirrors: Path = DEFAULT_MIRRORS, cache: Path = DEFAULT_CACHE) -> list[BackgroundDoc]:
    """German poems: PER_FILE chunks spread over each of TEXTGRID_POETS."""
    repo, commit, lang = TEXTGRID
    git = GitSource(repo, commit, mirrors, cache)
    docs = []
    for poet in TEXTGRID_POETS:
        path = f"json/{poet}.json"
        chunks = _poem_chunks(git.read(path))
        step = max(1, len(chunks) // PER_FILE)
        for j, text in enumerate(chunks[::step][:PER_FILE]):
            docs.append(BackgroundDoc(f"textgrid:{poet}:{j}", lang, path, text, f"{repo}={commit}:{path}"))
    return docs


def _sword_verses(module: zipfile.ZipFile) -> list[str]:
    """The verses of a SWORD zText module in canonical order (Old Testament, then New), markup
    and notes removed: each .bzs entry is one zlib block of the .bzz, each .bzv entry a verse's
    (block, start, size) in it."""
    names = module.namelist()
    verses = []
    for testament in ("ot", "nt"):
        found = {n.rsplit(".", 1)[1]: n for n in names if n.rsplit("/", 1)[-1].startswith(f"{testament}.bz")}
        if not {"bzs", "bzv", "bzz"} <= set(found):
            continue
        blocks_index, verse_index, packed = (module.read(found[k]) for k in ("bzs", "bzv", "bzz"))
        blocks = [
            zlib.decompress(packed[offset : offset + size])
            for offset, size, _ in struct.iter_unpack("<III", blocks_index)
        ]
        for block, start, size in struct.iter_unpack("<IIH", verse_index):
            if size and block < len(blocks):
                raw = blocks[block][start : start + size].decode("utf-8", "replace")
                text = re.sub(r"<[^>]*>", " ", re.sub(r"<note\b.*?</note>", " ", raw, flags=re.S))
                text = re.sub(r"\s+", " ", text).strip()
                if text:
                    verses.append(text)
    return verses


def _module_licence(module: zipfile.ZipFile) -> str:
    conf = next(n for n in module.namelist() if n.endswith(".conf"))
    text = module.read(conf).decode("utf-8", "replace")
    found = re.search(r"^DistributionLicense=(.*)$", text, flags=re.M)
    return found.group(1).strip() if found else ""


def bible_documents(mirrors: Path = DEFAULT_MIRRORS, cache: Path = DEFAULT_CACHE) -> list[BackgroundDoc]:
    """PER_BIBLE chunks of consecutive verses spread over each translation of BIBLES."""
    repo, commit = BIBLES_REPO
    git = GitSource(repo, commit, mirrors, cache)
    docs = []
    for name, (lang, _, stated) in BIBLES.items():
        path = f"sources/{lang}/{name}/{name}.zip"
        with zipfile.ZipFile(io.BytesIO(git.read(path))) as module:
            if _module_licence(module) != stated:
                raise ValueError(f"{repo}:{path} says {_module_licence(module)!r}, not {stated!r}")
            # verses as fortune entries: those of over 20 characters, one paragraph a chunk
            chunks = [" ".join(c.split()) for c in _chunks("\n%\n".join(_sword_verses(module)))]
        step = max(1, len(chunks) // PER_BIBLE)
        source = f"{repo}/{name}={commit}:{path}"
        for j, text in enumerate(chunks[::step][:PER_BIBLE]):
            docs.append(BackgroundDoc(f"bible:{name}:{j}", lang, path, text, source))
    return docs


def background_documents(cache: Path = DEFAULT_CACHE, mirrors: Path = DEFAULT_MIRRORS) -> list[BackgroundDoc]:
    """The background set: up to PER_FILE chunks spread over each fortune file or poet,
    PER_LANGUAGE per language."""
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
    return docs + textgrid_documents(mirrors, cache) + bible_documents(mirrors, cache)


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
    sources: dict[str, dict[str, str]] = {
        package: {
            "debian_package": f"{package}={version}",
            "sha256": digests[package],
            "language": lang,
            "licence": LICENCES[package][0],
            "terms": LICENCES[package][1],
        }
        for package, (version, lang, _) in PACKAGES.items()
    }
    repo, commit, lang = TEXTGRID
    sources[repo] = {
        "github_repository": f"{repo}@{commit}",
        "language": lang,
        "licence": LICENCES[repo][0],
        "terms": LICENCES[repo][1],
        "notice": "The poems are excerpts (up to three runs of consecutive poems a poet, mark-up "
        "removed) of the data stock of TextGrid's Digital Library, www.editura.de, published under "
        "the Creative Commons licence 'by' 3.0",
    }
    bibles_repo, bibles_commit = BIBLES_REPO
    for name, (lang, licence, stated) in BIBLES.items():
        sources[f"{bibles_repo}/{name}"] = {
            "github_repository": f"{bibles_repo}@{bibles_commit}",
            "language": lang,
            "licence": licence,
            "terms": f"the SWORD module's DistributionLicense: {stated}",
        }
        if licence != "public-domain":
            sources[f"{bibles_repo}/{name}"]["notice"] = (
                f"{BIBLE_NOTICES[name]}; excerpts of {PER_BIBLE} runs of consecutive verses, "
                "mark-up and notes removed"
            )
    if not all(source["licence"] in PERMISSIVE for source in sources.values()):
        raise ValueError(f"a source is not under permissive terms: {sources}")
    data: dict[str, object] = {
        "about": "Generic texts of kinds no workflow trains (outlier exposure); built by "
        "bench/corpus/background.py from Debian bookworm's fortune packages (en, it, es) and the "
        "TextGrid Digital Library's German poems; every source public domain or permissive",
        "sources": sources,
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
