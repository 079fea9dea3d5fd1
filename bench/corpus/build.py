"""Build the real-document corpus and its manifest (the documents stay out of git).

    nice -n 19 .venv/bin/python -m bench.corpus.build [--out DIR] [--mirrors DIR] [--manifest PATH]

Every source is pinned: a public GitHub repository at a commit (read from a local mirror,
``--mirrors/<owner>+<name>/repo``, else cloned from github.com and checked at that commit), or a
Debian package at a version (``apt-get download package=version``). Each document gets a kind,
a language, a near-duplicate group (same template, same sender, translations of one text: the
evaluation keeps a group on one side of every split), its sha256 and its licence.

Text sources are kept as text (Markdown, licence texts, man pages rendered with groff):
`bench/quality.py` feeds them to the classifier as a text layer. PDFs and images go through the
OCR service's own extraction. A file seen twice (same sha256) is kept once.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_OUT = Path(os.environ.get("DOCROUTE_CORPUS", Path.home() / ".cache" / "docroute-corpus"))
MANIFEST = Path(__file__).with_name("manifest.json")
MEDIA = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
    ".txt": "text/plain", ".md": "text/markdown",
}  # fmt: skip


@dataclass(frozen=True)
class Doc:
    """One document of the corpus, with where it came from."""

    kind: str
    lang: str
    group: str
    name: str  # file name inside the corpus folder <kind>/
    data: bytes
    source: dict[str, str]
    licence: str
    notes: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def media_type(self) -> str:
        return MEDIA[Path(self.name).suffix.lower()]


@dataclass
class GitSource:
    """A public GitHub repository pinned at one commit."""

    repo: str
    commit: str
    mirrors: Path
    cache: Path
    _git: Path | None = field(default=None, repr=False)

    def git_dir(self) -> Path:
        if self._git is None:
            base = self.mirrors / self.repo.replace("/", "+") / "repo"
            candidates = [base / ".git", base, self.cache / "git" / self.repo.replace("/", "+")]
            found = next((c for c in candidates if (c / "HEAD").exists() or (c / "objects").exists()), None)
            if found is None:
                found = candidates[-1]
                url = f"https://github.com/{self.repo}"
                subprocess.run(["git", "clone", "--bare", "--filter=blob:none", url, str(found)], check=True)
            self._git = found
        return self._git

    def ls(self, prefix: str = "", commit: str | None = None) -> list[str]:
        tree = ["ls-tree", "-r", "--name-only", commit or self.commit, "--", prefix or "."]
        out = subprocess.run(
            ["git", "--git-dir", str(self.git_dir()), *tree], check=True, capture_output=True
        ).stdout
        return sorted(out.decode().splitlines())

    def read(self, path: str, commit: str | None = None) -> bytes:
        return subprocess.run(
            ["git", "--git-dir", str(self.git_dir()), "show", f"{commit or self.commit}:{path}"],
            check=True,
            capture_output=True,
        ).stdout

    def source(self, path: str, commit: str | None = None) -> dict[str, str]:
        return {"type": "git", "repo": self.repo, "commit": commit or self.commit, "path": path}


def _spread(paths: list[str], n: int) -> list[str]:
    """A deterministic sample of n paths spread over the sorted list (all when fewer)."""
    if len(paths) <= n:
        return paths
    step = len(paths) / n
    return [paths[int(i * step)] for i in range(n)]


# --- invoices ---------------------------------------------------------------------------------
_ZF_PREFIX = re.compile(r"^(zugferd_\dp\d_|ZUGFeRD_1p0_|XRECHNUNG_|EN16931_)", re.I)
_ZF_PROFILE = re.compile(r"^(BASIC-WL|BASICWL|BASIC|COMFORT|EXTENDED|EN16931|MINIMUM)_?", re.I)


def zugferd_invoices(src: GitSource) -> Iterator[Doc]:
    """German and French e-invoice samples (ZUGFeRD / Factur-X / XRechnung), Apache-2.0."""
    for path in src.ls():
        if not path.lower().endswith(".pdf"):
            continue
        stem = Path(path).stem
        if "Mustang" in path:
            group, lang = "zugferd:mustang", "de"
        elif "FNFE" in path:
            group, lang = "zugferd:fnfe", "fr"
        else:
            scenario = _ZF_PROFILE.sub("", _ZF_PREFIX.sub("", stem)).lower()
            scenario = re.sub(r"_(xrechnung_)?embedded$|_xrechnung$|_withbom$|new$", "", scenario)
            group, lang = f"zugferd:{scenario}", "de"
        if "factur-x" in path.lower():
            lang = "fr" if "FNFE" in path else "en"
        data = src.read(path)
        yield Doc("invoice", lang, group, f"zugferd-{stem}.pdf", data, src.source(path), "Apache-2.0")


# Language of invoice2data's sample invoices, read off the documents.
_I2D_LANG = {
    "AmazonWebServices": "en", "AzureInterior": "en", "FlipkartInvoice": "en", "NetpresseInvoice": "fr",
    "QualityHosting": "de", "SammyMaystoneLinesTest": "en", "coolblue1": "nl", "coolblue2": "nl",
    "free_fiber": "fr", "oyo": "en", "saeco": "fr",
}  # fmt: skip


def invoice2data_invoices(src: GitSource) -> Iterator[Doc]:
    """Real invoices from several senders and languages (invoice2data's test set, MIT)."""
    for path in src.ls("tests/compare"):
        p = Path(path)
        if p.suffix.lower() not in (".pdf", ".png") or p.stem not in _I2D_LANG:
            continue
        sender = re.sub(r"\d+$", "", p.stem)
        data = src.read(path)
        yield Doc(
            "invoice", _I2D_LANG[p.stem], f"i2d:{sender}", f"i2d-{p.name}", data, src.source(path), "MIT"
        )


# --- receipts ---------------------------------------------------------------------------------
def sroie_receipts(src: GitSource, n: int) -> Iterator[Doc]:
    """Scanned Malaysian shop receipts (ICDAR 2019 SROIE, as corrected in this MIT repository)."""
    for path in _spread([p for p in src.ls("data/img") if p.endswith(".jpg")], n):
        key = json.loads(src.read(path.replace("/img/", "/key/").replace(".jpg", ".json")) or b"{}")
        company = re.sub(r"[^a-z0-9]+", "-", str(key.get("company", Path(path).stem)).lower()).strip("-")
        yield Doc(
            "receipt", "en", f"sroie:{company[:40]}", f"sroie-{Path(path).name}", src.read(path),
            src.source(path), "ICDAR 2019 SROIE data (research use), repository MIT", "scan",
        )  # fmt: skip


# --- scientific papers ------------------------------------------------------------------------
def pwl_papers(src: GitSource, n: int, max_bytes: int = 8_000_000) -> Iterator[Doc]:
    """Computer-science papers hosted by papers-we-love (copyright of their authors)."""
    paths = [p for p in src.ls() if p.lower().endswith(".pdf")]
    taken = 0
    for path in _spread(paths, int(n * 1.3)):
        if taken >= n:
            break
        try:
            data = src.read(path)
        except subprocess.CalledProcessError:  # a large file the snapshot left out
            continue
        if len(data) > max_bytes:
            continue
        taken += 1
        topic = path.split("/")[0] if "/" in path else "top"
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", path.replace("/", "--"))
        yield Doc(
            "paper", "en", f"pwl:{topic}", f"pwl-{name}", data, src.source(path),
            "copyright of the authors; hosted by papers-we-love (see its README)",
        )  # fmt: skip


# --- tax forms --------------------------------------------------------------------------------
def irs_forms(src: GitSource, commits: tuple[str, ...], prefixes: tuple[str, ...]) -> Iterator[Doc]:
    """US federal and state tax forms, blank and filled examples (US government works)."""
    for commit in commits:
        for prefix in prefixes:
            for path in src.ls(prefix, commit):
                if not path.lower().endswith(".pdf"):
                    continue
                stem = Path(path).stem.lower().replace("usa-", "f").replace("-", "")
                form = re.match(r"(ca540|f\d+(s\d|sb|sa|sc)?|carryover)", stem)
                group = f"irs:{form.group(1) if form else stem}"
                name = f"irs-{src.repo.split('/')[0]}-{path.replace('/', '--')}"
                licence = "US government work (public domain); state form: California FTB"
                data = src.read(path, commit)
                yield Doc("tax_form", "en", group, name, data, src.source(path, commit), licence)


# --- licences, policies, minutes (text) -------------------------------------------------------
_FAMILY = re.compile(r"^(a?gpl|lgpl|cc|bsd|mit|epl|eupl|cern|ms|apache|osl|afl|ecl)", re.I)


def choosealicense_licences(src: GitSource) -> Iterator[Doc]:
    """Licence texts from choosealicense.com (front matter stripped; site MIT)."""
    for path in src.ls("_licenses"):
        raw = src.read(path).decode()
        body = raw.split("---", 2)[2].strip() if raw.startswith("---") else raw
        stem = Path(path).stem
        family = _FAMILY.match(stem)
        name = family.group(1).lower() if family else stem
        group = f"lic:{'gpl' if name in ('lgpl', 'agpl') else name}"
        yield Doc(
            "licence", "en", group, f"lic-{stem}.txt", body.encode(), src.source(path),
            "licence texts: verbatim copying permitted; choosealicense.com MIT", "YAML front matter removed",
        )  # fmt: skip


def github_policies(src: GitSource) -> Iterator[Doc]:
    """GitHub's terms of service, privacy and site policies (CC0-1.0)."""
    for path in src.ls("Policies"):
        if path.endswith(".md") and not path.endswith("index.md"):
            group = f"policy:{path.split('/')[1]}"
            name = f"policy-{path.split('/', 1)[1].replace('/', '--')}"
            yield Doc("policy", "en", group, name, src.read(path), src.source(path), "CC0-1.0")


def nodejs_minutes(src: GitSource, n: int) -> Iterator[Doc]:
    """Meeting minutes of the Node.js Technical Steering Committee."""
    paths = [p for p in src.ls("meetings") if re.search(r"\d{4}-\d\d-\d\d\.md$", p)]
    for path in _spread(paths, n):
        year = re.search(r"(\d{4})-\d\d-\d\d", path)
        group = f"tsc:{year.group(1) if year else 'x'}"
        yield Doc(
            "minutes", "en", group, f"tsc-{path.replace('/', '--')}", src.read(path), src.source(path),
            "Node.js TSC repository (see its README; contributions under the project's licence)",
        )  # fmt: skip


# --- manual pages (Debian packages, several languages) ----------------------------------------
MANPAGE_PACKAGES: dict[str, tuple[str, str]] = {
    # package: (version, language)
    "manpages": ("6.03-2", "en"),
    "coreutils": ("9.1-1", "en"),
    "manpages-de": ("4.18.1-1", "de"),
    "manpages-fr": ("4.18.1-1", "fr"),
    "manpages-es": ("4.18.1-1", "es"),
    "manpages-it": ("4.18.1-1", "it"),
    "manpages-nl": ("4.18.1-1", "nl"),
    "manpages-pl": ("1:4.18.1-1", "pl"),
    "manpages-pt-br": ("4.18.1-1", "pt"),
}
_SKIP_PAGES = re.compile(r"^(iso[-_]|latin|ascii|charsets|koi8|armscii|cp125|intro\.|utf-?8|unicode)", re.I)


def _deb(cache: Path, package: str, version: str) -> Path:
    folder = cache / "debs"
    folder.mkdir(parents=True, exist_ok=True)
    found = sorted(folder.glob(f"{package}_*.deb"))
    want = version.split(":")[-1]
    found = [f for f in found if f"_{want}_" in f.name or f"%3a{want}_" in f.name]
    if not found:
        subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=folder, check=True)
        found = sorted(folder.glob(f"{package}_*{want}_*.deb"))
    return found[0]


def _deb_members(deb: Path) -> Iterator[tuple[str, bytes]]:
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if member.isfile():
                extracted = tar.extractfile(member)
                if extracted is not None:
                    yield member.name.lstrip("./"), extracted.read()


def _render_man(source: bytes) -> str:
    text = subprocess.run(
        ["sh", "-c", "preconv -e UTF-8 | groff -mandoc -Tutf8 -P-bcou 2>/dev/null"],
        input=gzip.decompress(source),
        capture_output=True,
        env={**os.environ, "GROFF_NO_SGR": "1"},
        check=False,
    ).stdout.decode("utf-8", "replace")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def manual_pages(cache: Path, per_language: int) -> Iterator[Doc]:
    """Manual pages (sections 1, 5, 7, 8) in 8 languages, rendered to text with groff."""
    groff_version = subprocess.run(["groff", "--version"], capture_output=True, check=False).stdout
    groff = groff_version.decode().splitlines()
    renderer = groff[0] if groff else "groff"
    pages: dict[str, dict[str, tuple[str, bytes, str, str]]] = {}
    for package, (version, lang) in MANPAGE_PACKAGES.items():
        for name, data in _deb_members(_deb(cache, package, version)):
            m = re.search(r"/man([1578])/([^/]+)\.gz$", name)
            if m and not _SKIP_PAGES.match(m.group(2)) and len(data) > 1500:
                pages.setdefault(lang, {})[m.group(2)] = (name, data, package, version)
    # Prefer pages that exist in many languages: translations of one page form one group.
    spread = Counter(page for by_page in pages.values() for page in by_page)
    for lang, by_page in sorted(pages.items()):
        ranked = sorted(by_page, key=lambda p: (-spread[p], p))[:per_language]
        for page in ranked:
            name, data, package, version = by_page[page]
            text = _render_man(data)
            if len(text) < 400:
                continue
            yield Doc(
                "manual", lang, f"man:{page}", f"man-{lang}-{page}.txt", text.encode(),
                {"type": "deb", "package": package, "version": version, "path": name},
                "see /usr/share/doc/<package>/copyright (GPL-family and man-pages licences)",
                f"rendered with {renderer}",
            )  # fmt: skip


# --- the corpus -------------------------------------------------------------------------------
PINS = {
    "ZUGFeRD/corpus": "47b61beb29b7de98c3c91cdb3657415c0ede783b",
    "invoice-x/invoice2data": "bd2fcceb867882047173dbd66a9500f47634a0cd",
    "zzzDavid/ICDAR-2019-SROIE": "27be4271b251c256f695acbade9a801bffe85994",
    "papers-we-love/papers-we-love": "47567e0154e38b4a4cf3eb9e30296221e940522f",
    "wickedest/irs-form-filler": "56faeab63d7b8df4a14c98d471f6b3b859bbc710",
    "tdooner/pdf-tax-form-filler": "54e6c3f23d5ea1d2cc0f93e4bfefaec99ec03868",
    "github/choosealicense.com": "aed28f9933c9e8435c0f1d07aa563c0a830859bc",
    "github/site-policy": "12992597c5d9d8cfc006693c54b9609d9993bc99",
    "nodejs/TSC": "0e35767c9666d03c0e9596e636b35623887ffb6f",
}
# wickedest/irs-form-filler removed its filled examples later: this older commit still has them.
IRS_EXAMPLES_COMMIT = "253f2ef9154e202c7da0b0579c709cc0c3014179"


def sources(mirrors: Path, cache: Path) -> list[Callable[[], Iterator[Doc]]]:
    """Every source of the corpus, each a generator of documents."""

    def git(repo: str) -> GitSource:
        return GitSource(repo, PINS[repo], mirrors, cache)

    irs, tdooner = git("wickedest/irs-form-filler"), git("tdooner/pdf-tax-form-filler")
    return [
        lambda: zugferd_invoices(git("ZUGFeRD/corpus")),
        lambda: invoice2data_invoices(git("invoice-x/invoice2data")),
        lambda: sroie_receipts(git("zzzDavid/ICDAR-2019-SROIE"), 90),
        lambda: pwl_papers(git("papers-we-love/papers-we-love"), 110),
        lambda: irs_forms(irs, (irs.commit, IRS_EXAMPLES_COMMIT), ("src/forms", "data", "examples")),
        lambda: irs_forms(tdooner, (tdooner.commit,), ("forms",)),
        lambda: choosealicense_licences(git("github/choosealicense.com")),
        lambda: github_policies(git("github/site-policy")),
        lambda: nodejs_minutes(git("nodejs/TSC"), 100),
        lambda: manual_pages(cache, 22),
    ]


def build(out: Path, mirrors: Path, manifest: Path) -> list[dict[str, object]]:
    """Write every document under out/files/<kind>/ and the manifest; return its entries."""
    entries: list[dict[str, object]] = []
    seen: set[str] = set()
    for make in sources(mirrors, out):
        for doc in make():
            if doc.sha256 in seen:
                continue
            seen.add(doc.sha256)
            path = Path("files") / doc.kind / doc.name
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_bytes(doc.data)
            entries.append(
                {
                    "id": f"{doc.kind}/{doc.name}", "path": str(path), "kind": doc.kind,
                    "lang": doc.lang, "group": doc.group, "media_type": doc.media_type,
                    "bytes": len(doc.data), "sha256": doc.sha256, "source": doc.source,
                    "licence": doc.licence, "notes": doc.notes,
                }
            )  # fmt: skip
    entries.sort(key=lambda e: str(e["id"]))
    manifest.write_text(json.dumps({"version": 1, "documents": entries}, indent=1, ensure_ascii=False) + "\n")
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args()
    entries = build(args.out, args.mirrors, args.manifest)
    by_kind = Counter(str(e["kind"]) for e in entries)
    langs = Counter(str(e["lang"]) for e in entries)
    print(f"{len(entries)} documents in {args.out}: {dict(sorted(by_kind.items()))}; languages {dict(langs)}")
    digest = hashlib.sha256(args.manifest.read_bytes()).hexdigest()[:16]
    print(f"manifest {args.manifest} sha256 {digest}")


if __name__ == "__main__":
    main()
