"""A background set of real public documents, for outlier exposure measured beside the generic one.

    nice -n 19 .venv/bin/python -m bench.corpus.background_documents           # prints what it holds
    nice -n 19 .venv/bin/python -m bench.corpus.background_documents --write   # the product's copy

The shipped background set (bench/corpus/background.py) holds no document at all: quotations,
jokes, poems and Bible passages. Open-set work finds outlier exposure pays when the outliers
resemble the near-miss inputs, so this set is real administrative documents: statistical
reports, notices, budget and expenditure tables, guidance, surveys, a tax notice, a research
announcement. Only works of the US federal government (public domain under 17 U.S.C. 105), read
from the test-PDF folders of two PDF libraries, each pinned at a commit. Neither repository is a
source of the evaluation corpus (bench/corpus/build.py). Left out, with the reason:
documents of states, counties, the Federal Reserve Banks or federal contractors (NREL), EU and
other governments' documents and users' uploads (their terms are not stated), py-pdf/sample-files
(CC-BY-SA-4.0, share-alike), pdfminer.six's samples (synthetic or marked nonfree).

Each PDF is read as the OCR service reads it (`extract_document`, the first 3 pages: what the
classifier reads); one document a PDF, the report it is cut from its near-duplicate group. The
texts (cut to 4,800 characters at a line break: the embedders read the first 3,000) go to
docroute/classifier/data/background.json.gz, the set the product ships and the trainer fits
(docroute.classifier.background), with repository, commit, path, sha256, issuer and licence per
document. Measured against the generic set it replaced: docs/quality.md, 2026-12-01 ~17:00 UTC.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from bench.corpus.background import DEFAULT_MIRRORS

OUT = Path(__file__).parents[2] / "docroute" / "classifier" / "data" / "background.json.gz"
LICENCE = "public-domain"
TERMS = "a work of the United States federal government: not subject to copyright (17 U.S.C. 105)"
PDFPLUMBER = ("jsvine/pdfplumber", "147f2c4c07dc1191fc1d05bb589b4f6af3aaf74a")
CAMELOT = ("camelot-dev/camelot", "2b80d0bc692d1b22203c3385e77da8201675aa50")
ICDAR_US = "tests/files/tabula/icdar2013-dataset/competition-dataset-us/"
# (repository, path, issuer, group): the issuer as the document's own text names it.
DOCUMENTS: tuple[tuple[tuple[str, str], str, str, str], ...] = (
    (
        PDFPLUMBER,
        "examples/pdfs/ag-energy-round-up-2017-02-24.pdf",
        "USDA Agricultural Marketing Service",
        "usda-ams",
    ),
    (PDFPLUMBER, "examples/pdfs/background-checks.pdf", "FBI NICS", "fbi-nics"),
    (
        PDFPLUMBER,
        "tests/pdfs/federal-register-2020-17221.pdf",
        "Federal Register (Office of the Federal Register)",
        "fr-2020-17221",
    ),
    (
        PDFPLUMBER,
        "tests/pdfs/senate-expenditures.pdf",
        "US Senate, Report of the Secretary of the Senate",
        "senate",
    ),
    (PDFPLUMBER, "tests/pdfs/pr-88-example.pdf", "DARPA (broad agency announcement)", "darpa"),
    (CAMELOT, "docs/_static/pdf/table_areas.pdf", "IRS (Notice 1036)", "irs-notice-1036"),
    (
        CAMELOT,
        "docs/benchmark/stream/12s0324/12s0324.pdf",
        "US Census Bureau, Statistical Abstract",
        "census-abstract",
    ),
    (CAMELOT, "tests/files/tabula/labor.pdf", "Bureau of Labor Statistics, Monthly Labor Review", "bls"),
    (CAMELOT, "tests/files/tabula/rotated_page.pdf", "Congressional Budget Office", "cbo"),
    (CAMELOT, "tests/files/tabula/us-024.pdf", "EPA, Pesticides Industry Sales and Usage", "epa-pesticides"),
    *(
        (CAMELOT, f"{ICDAR_US}us-{n}.pdf", issuer, group)
        for n, issuer, group in (
            ("001", "US Census Bureau", "census-sipp"),
            ("002", "NCES (US Department of Education)", "nces-borrowing"),
            ("003", "NCES (US Department of Education)", "nces-borrowing"),
            ("006", "HHS, Head Start Impact Study", "hhs-head-start"),
            ("007", "HHS, Head Start Impact Study", "hhs-head-start"),
            ("008", "HHS, Head Start Impact Study", "hhs-head-start"),
            ("009", "NSF, Prospective New Awardee Guide", "nsf-awardee"),
            ("010", "GSA, OCSIT annual report", "gsa"),
            ("011a", "GSA, OCSIT annual report", "gsa"),
            ("012", "US Department of Education (NCLB)", "ed-nclb"),
            ("013", "US Department of Education (NCLB)", "ed-nclb"),
            ("014", "US Department of Education (NCLB)", "ed-nclb"),
            ("015", "FDA guidance", "fda-guidance"),
            ("016", "FDA guidance", "fda-guidance"),
            ("017", "NCES, Projections of Education Statistics", "nces-projections"),
            ("018", "NCES, Projections of Education Statistics", "nces-projections"),
            ("019", "NCES, Projections of Education Statistics", "nces-projections"),
            ("020", "NCES, Highlights from PIRLS 2011", "nces-pirls"),
            ("021", "NCES, Highlights from PIRLS 2011", "nces-pirls"),
            ("022", "Department of Homeland Security (ICE)", "dhs-ice"),
            ("023", "CDC, MMWR supplement", "cdc-mmwr"),
            ("024", "CDC, MMWR supplement", "cdc-mmwr"),
            ("025", "CDC, MMWR supplement", "cdc-mmwr"),
            ("026", "USGS, Mineral Commodity Summaries", "usgs"),
            ("027", "US Secret Service, Department of Education, FBI: Campus Attacks", "campus-attacks"),
            ("028", "US Secret Service, Department of Education, FBI: Campus Attacks", "campus-attacks"),
            ("029", "US Secret Service, Department of Education, FBI: Campus Attacks", "campus-attacks"),
            ("033", "CDC NCHS (NHANES III)", "nchs-nhanes"),
            ("034", "CDC NCHS (NHANES III)", "nchs-nhanes"),
            ("035a", "CDC NCHS (NHANES III)", "nchs-nhanes"),
            ("036", "US Department of Education, Federal Student Aid", "ed-fsa"),
            ("037", "National Toxicology Program (NIH)", "ntp"),
            ("038", "EPA, Mercury Study Report to Congress", "epa-mercury"),
            ("039", "EPA, Mercury Study Report to Congress", "epa-mercury"),
            ("040", "EPA, Mercury Study Report to Congress", "epa-mercury"),
        )
    ),
)
READ_PAGES = 3
MIN_CHARS = 200
MAX_CHARS = 4_800


def _cut(text: str, limit: int = MAX_CHARS) -> str:
    """The text's start, up to `limit` characters, ended at a line break when there is one."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head[: head.rfind("\n")] if "\n" in head[limit // 2 :] else head


def _blob(repo: str, commit: str, path: str, mirrors: Path) -> bytes:
    git = mirrors / repo.replace("/", "+") / "repo"
    return subprocess.check_output(["git", "-C", str(git), "show", f"{commit}:{path}"])


def documents(mirrors: Path = DEFAULT_MIRRORS) -> list[dict[str, str]]:
    """Each listed PDF read as the OCR service reads it; those with too little text dropped."""
    from services.ocr.adapters import TesseractEngine
    from services.ocr.core.extract import extract_document

    engine = TesseractEngine()
    out = []
    for (repo, commit), path, issuer, group in DOCUMENTS:
        data = _blob(repo, commit, path, mirrors)
        doc = extract_document(
            data,
            "application/pdf",
            document_id=path,
            relevant_pages=None,
            cropping=False,
            language="latin",
            engine=engine,
            max_pages=READ_PAGES,
        )
        if len(doc.text.strip()) < MIN_CHARS:
            continue
        out.append(
            {
                "id": f"{repo}:{path}",
                "lang": "en",
                "source": f"{repo}@{commit}:{path}",
                "sha256": hashlib.sha256(data).hexdigest(),
                "issuer": issuer,
                "group": group,
                "licence": LICENCE,
                "text": _cut(doc.text),
            }
        )
    return out


def write(path: Path = OUT, mirrors: Path = DEFAULT_MIRRORS) -> dict[str, object]:
    docs = documents(mirrors)
    data = {
        "about": "Real public documents of kinds a mailroom receives (US federal government works: "
        "reports, notices, tables, guidance) for outlier exposure; built by "
        "bench/corpus/background_documents.py; every document public domain",
        "sources": {
            repo: {
                "github_repository": f"{repo}@{commit}",
                "language": "en",
                "licence": LICENCE,
                "terms": TERMS,
            }
            for repo, commit in (PDFPLUMBER, CAMELOT)
        },
        "documents": docs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True).encode()
    path.write_bytes(gzip.compress(raw, mtime=0))
    return data


def main() -> None:
    if "--write" in sys.argv:
        data = write()
        docs = data["documents"]
        assert isinstance(docs, list)
        print(f"{len(docs)} documents -> {OUT} ({OUT.stat().st_size // 1024} kB)")
        return
    for d in documents():
        print(f"{len(d['text']):6d} {d['group']:<18} {d['id']}")


if __name__ == "__main__":
    main()
