"""Tesseract on real transcribed scans in the languages of `latin`: character error rate (not a test).

Run from the repository root (the scans come from pinned public git mirrors; ``fetch`` brings
them to /work/.mirror; about 20 minutes on 2 busy cores with the defaults)::

    nice .venv/bin/python -m bench.ocr_real_scans [--mirrors /work/.mirror] [--max-pages 12]
        [--json PATH] [--paddle]

The scans and their transcriptions (ALTO v4 exported by eScriptorium, one ``String`` per
``TextLine`` holding the whole line, with the line's box), read at the commits pinned below:

- ``FloChiff/ehri-dataset`` (CC-BY 4.0; EHRI, the European Holocaust Research Infrastructure):
  typewritten documents of 1936-1958 in Czech, Slovak, Danish, English and German, scans from
  archives in Austria, Czechia, Denmark, Israel and the USA. Its Polish and Hungarian images and
  2 of its 15 Slovak ones are not in the snapshot (too large): those pages are skipped.
- ``FoNDUE-HTR/FONDUE-FR-PRINT-20`` (transcriptions CC-BY 4.0, images the publishers'): French
  print, only the scanned pages of J.-P. Bastid's *Parcours fléché* (Gallimard 1994) and *La
  Tendresse du loup* (Actes Sud 1997; ``pages_13-17_optimise.pdf_page_2..5``); the corpus's other
  pages are rendered from ebooks, not scans.
- ``FoNDUE-HTR/FONDUE-IT-PRINT-20`` (transcriptions CC-BY 4.0, images the libraries'): Italian,
  Pirandello's *Uno, nessuno e centomila* (Mondadori 1936, print) and typewritten sources of
  1936-1950 (Archivio Storico provinciale dei Frati Minori di Lombardia); 15 of those 23
  typewritten images are not in the snapshot.
- ``FoNDUE-HTR/FONDUE-ES-PRINT-19`` (transcriptions CC-BY 4.0, images the libraries'): Spanish
  print of 1816-1899 in roman type (La Prensa Argentina, Sioen, Holmberg, Egaña, del Portillo,
  Palma, Pardo Bazán, Pérez Galdós); 5 of del Portillo's 7 images are not in the snapshot.

No transcribed real scans were found for Polish (EHRI's images too large for the snapshot),
Dutch, Slovenian, Croatian, Finnish, Portuguese (FONDUE-MLT-CAT too large to fetch), Swedish
(only Fraktur line crops of 1818-1848, mskelb/OCR_SB, not used) and Norwegian (14 lines of an
1846 book only).

Each language's pages (per source kind) are drawn deterministically, at most ``--max-pages``
spread over the sorted paths; each page is read three ways, each through the product's
``services.ocr.core.extract.ocr_page`` (the page loaded by ``load_image_pages``, shrunk to
3,508 px as the service does, no cropping):

- ``eng+deu+fra``: that list alone (what `latin` read before);
- ``own``: the page's own Tesseract language alone (ces, slk, dan, eng, deu, fra, ita, spa);
- ``docroute``: ``TesseractEngine.recognize(image, "latin")``, the service's rule: ``eng+deu+fra``,
  then the languages langdetect names in that text when they are not the first pass's
  (``services/ocr/core/languages.py``), the pass with the higher mean confidence kept.

Two granularities. Lines: each ALTO ``TextLine``'s box is cut out of the full-size image, the
pixels outside the line's polygon made white (the boxes overlap the neighbouring lines, whose
fragments made Tesseract misread 1.4-2.9 times as many characters on 4 pages of 5 groups), 10 px
of white added around it, and read in page-segmentation mode 7 (``PSM.SINGLE_LINE``) with each
list; ``docroute`` reads a page's lines with the list whose pass the page-level rule kept. This
isolates recognition from layout (not from the transcribers' polygons). Pages: the page's text
against the ALTO lines joined with newlines (top to bottom within each text block, blocks in the
file's order), whitespace runs collapsed to one space on both sides: lines Tesseract reads in
another order, and text on the page that is not transcribed (EHRI leaves out handwriting, stamps
and some typed footers), count as errors. The page-segmentation mode there is Tesseract's
default (3, automatic), as in the service. Character error rate = Levenshtein distance /
reference characters, summed over all lines or pages of a language. Both sides are NFC; in the
references ``¬`` (the transcriptions' mark for a hyphen at a line break) is a hyphen, and
Cyrillic look-alikes typed into Latin text (EHRI's German has ``ӓ``/``ӧ`` for ä/ö) are folded to
their Latin letters; other marks (FONDUE's ``⬪``, ``[[...]]``) are kept and count as errors.
Seconds: CPU seconds a page (``time.process_time``, Tesseract single-threaded as in the
service), language data loaded; docroute's include the escalation check below, as the service's
do. Also counted: the pages a Tesseract workflow's default escalation (mean confidence < 0.75 or
words covering < 0.5 of the ink, `services/ocr/core/escalation.py`) would read again with
PaddleOCR; without ``--paddle`` the figures are Tesseract's reads of them all the same.

``--paddle`` adds two ways for pages (not lines): ``paddle``, PaddleOCR (PP-OCRv5 mobile, the
service's ``PaddleEngine``, one thread) alone through ``ocr_page``; ``escalation``, what a
Tesseract workflow keeps: docroute's read, or PaddleOCR's where the default rule reads the page
again and PaddleOCR found words (``as_escalation_keeps``; its CPU docroute's plus PaddleOCR's on
those pages). PaddleOCR takes 10-40 CPU-s on these large pages: about an hour more for all.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from bench.corpus.build import GitSource, _spread
from docroute.ocr_result import EngineName, OcrLanguage, OcrPage, OcrWord
from services.ocr.adapters import TESSDATA, PaddleEngine, TesseractEngine
from services.ocr.core.engine import OcrEngine
from services.ocr.core.escalation import NEVER, EscalationRule
from services.ocr.core.extract import ocr_page
from services.ocr.core.images import load_image_pages
from services.ocr.core.languages import FIRST_PASS, second_pass_languages

EHRI = ("FloChiff/ehri-dataset", "20a5e002031c1f9e66176133b4602ed439db6521")
FONDUE_FR = ("FoNDUE-HTR/FONDUE-FR-PRINT-20", "c7ec668e9efdc7575f2db170c4525357965397f4")
FONDUE_IT = ("FoNDUE-HTR/FONDUE-IT-PRINT-20", "3f8b19ed07146623ea03723745374a64a53b9b1f")
FONDUE_ES = ("FoNDUE-HTR/FONDUE-ES-PRINT-19", "52b7912ef919d1dcc65ae25dc4fa62a33831080f")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})
EDF = "+".join(FIRST_PASS)
WAYS = ("eng+deu+fra", "own", "docroute")
# With --paddle, pages (not lines) are also read by PaddleOCR alone, and as a Tesseract workflow
# reads them: docroute's read, and PaddleOCR's where the default escalation rule reads it again.
ENGINE_WAYS = ("paddle", "escalation")
PAGE_WAYS = WAYS + ENGINE_WAYS
LINE_BORDER = 10
# Cyrillic letters that look like Latin ones, typed into Latin transcriptions (NFD: marks apart).
_CYRILLIC_LOOKALIKES = str.maketrans(
    "аеорсухАВЕКМНОРСТХіјѕ",
    "aeopcyxABEKMHOPCTXijs",
)


@dataclass(frozen=True)
class Group:
    """The pages of one language and source kind: image paths under ``prefixes`` at ``repo@commit``."""

    language: str  # Tesseract's code
    kind: str
    repo: str
    commit: str
    prefixes: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.language}-{self.kind.split()[0]}"


GROUPS: tuple[Group, ...] = (
    Group("eng", "typewritten", *EHRI, ("data/english/",)),
    Group("deu", "typewritten", *EHRI, ("data/german/",)),
    Group("dan", "typewritten", *EHRI, ("data/danish/",)),
    Group("ces", "typewritten", *EHRI, ("data/czech/",)),
    Group("slk", "typewritten", *EHRI, ("data/slovak/",)),
    Group(
        "ita",
        "typewritten",
        *FONDUE_IT,
        (
            "data/Come_mi_accadde_di_diventare_questore/",
            "data/La_Provvidenza_in_viaggio/",
            "data/Le_mie_disavventure_come_oratore_come_pubblicista_come_Vescovo/",
            "data/Maledizione_alla_guerra/",
        ),
    ),
    Group("ita", "print 1936", *FONDUE_IT, ("data/Pirandello_nessuno/",)),
    Group(
        "fra",
        "print 1994-97",
        *FONDUE_FR,
        (
            "data/Bastid_Parcours_fleche_1994/",
            "data/Bastid_tendresse_du_loup_1997/pages_13-17_optimise.pdf_page_",
        ),
    ),
    Group("spa", "print 1816-99", *FONDUE_ES, ("data/",)),
)


@dataclass(frozen=True)
class AltoLine:
    """One transcribed line: its text, its box (x0, y0, x1, y1) and polygon in the ALTO page's
    pixels (the polygon empty when the file has none), and the index of its ``TextBlock``."""

    text: str
    box: tuple[float, float, float, float]
    polygon: tuple[tuple[float, float], ...] = ()
    block: int = 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def alto_lines(xml: bytes) -> tuple[tuple[float, float] | None, list[AltoLine]]:
    """The page size (width, height; None when not given) and the text lines of an ALTO file, in
    the file's order; a line's text is its ``String`` contents joined by spaces, its polygon its
    ``Shape``'s, its box the ``TextLine``'s HPOS/VPOS/WIDTH/HEIGHT (else the polygon's bounds).
    Lines without text are left out."""
    root = ET.fromstring(xml)
    size = None
    lines = []
    block = 0
    for element in root.iter():
        name = _local(element.tag)
        if name == "Page" and element.get("WIDTH") and element.get("HEIGHT"):
            size = (float(element.get("WIDTH", 0)), float(element.get("HEIGHT", 0)))
        block += name == "TextBlock"
        if name != "TextLine":
            continue
        strings = [s.get("CONTENT", "") for s in element if _local(s.tag) == "String"]
        text = " ".join(s for s in strings if s.strip())
        if not text.strip():
            continue
        points = [
            polygon.get("POINTS", "")
            for shape in element
            if _local(shape.tag) == "Shape"
            for polygon in shape
            if _local(polygon.tag) == "Polygon"
        ]
        xy = [float(v) for v in (points[0] if points else "").replace(",", " ").split()]
        polygon = tuple(zip(xy[0::2], xy[1::2], strict=False))
        if element.get("WIDTH") is not None:
            x, y = float(element.get("HPOS", 0)), float(element.get("VPOS", 0))
            box = (x, y, x + float(element.get("WIDTH", 0)), y + float(element.get("HEIGHT", 0)))
        elif polygon:
            box = (min(xy[0::2]), min(xy[1::2]), max(xy[0::2]), max(xy[1::2]))
        else:
            continue
        lines.append(AltoLine(text, box, polygon, block))
    return size, lines


def reading_order(lines: list[AltoLine]) -> list[AltoLine]:
    """``lines`` top to bottom within each text block (by the middle of their boxes), blocks in
    the file's order: eScriptorium keeps lines in the order they were drawn, which on EHRI's
    pages is often not the order they are read in."""
    return sorted(lines, key=lambda line: (line.block, (line.box[1] + line.box[3]) / 2, line.box[0]))


def reference(text: str) -> str:
    """A transcribed line as Tesseract could read it: NFC, ``¬`` a hyphen, Cyrillic look-alikes Latin."""
    folded = unicodedata.normalize("NFD", text.replace("¬", "-")).translate(_CYRILLIC_LOOKALIKES)
    return unicodedata.normalize("NFC", folded)


def normalise(text: str) -> str:
    """NFC, whitespace runs (newlines included) one space, no space at either end."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions of one code point each).

    One numpy row per character of the longer string: a row's insertions are a running
    minimum, ``d[j] = min over k <= j of d'[k] + (j - k)``.
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    codes = np.array([ord(char) for char in b], dtype=np.int64)
    offsets = np.arange(len(b) + 1, dtype=np.int64)
    previous = offsets.copy()
    current = np.empty_like(previous)
    for i, char in enumerate(a, 1):
        current[0] = i
        np.minimum(previous[:-1] + (codes != ord(char)), previous[1:] + 1, out=current[1:])
        previous = np.minimum.accumulate(current - offsets) + offsets
    return int(previous[-1])


class _OneList:
    """The ``OcrEngine`` port reading every page with one language list (``TesseractEngine.read``)."""

    name: EngineName = "tesseract"

    def __init__(self, engine: TesseractEngine, langs: str) -> None:
        self._engine, self._langs = engine, langs

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        return self._engine.read(image, self._langs)


class _Unread:
    """A stand-in for PaddleOCR that reads nothing: ``ocr_page`` then keeps Tesseract's words and
    records whether the default escalation rule would have read the page again."""

    name: EngineName = "paddle"

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        return []


@dataclass
class Tally:
    """Errors and reference characters summed over lines or pages, and CPU seconds."""

    errors: int = 0
    chars: int = 0
    cpu_s: float = 0.0

    def add(self, reference_text: str, read: str) -> None:
        self.errors += distance(reference_text, read)
        self.chars += len(reference_text)

    @property
    def cer(self) -> float:
        return self.errors / self.chars if self.chars else float("nan")


@dataclass
class GroupResult:
    """One language and source kind: tallies per way of reading, lines and pages."""

    group: Group
    pages: int = 0
    lines: int = 0
    missing: int = 0
    line_tally: dict[str, Tally] = field(default_factory=lambda: {way: Tally() for way in WAYS})
    page_tally: dict[str, Tally] = field(default_factory=lambda: {way: Tally() for way in PAGE_WAYS})
    # The pages against their ALTO lines in the file's order (not sorted top to bottom).
    file_order: dict[str, Tally] = field(default_factory=lambda: {way: Tally() for way in PAGE_WAYS})
    escalated: int = 0
    second_pass: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    per_page: list[dict[str, Any]] = field(default_factory=list)


class LineReader:
    """Tesseract in page-segmentation mode 7 (one text line), one API per language list."""

    def __init__(self) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self._apis: dict[str, Any] = {}

    def read(self, image: Image.Image, langs: str) -> str:
        if langs not in self._apis:
            self._apis[langs] = self._tesserocr.PyTessBaseAPI(
                path=TESSDATA, lang=langs, psm=self._tesserocr.PSM.SINGLE_LINE
            )
        api = self._apis[langs]
        try:
            api.SetImage(image)
            return str(api.GetUTF8Text())
        finally:
            api.Clear()

    def close(self) -> None:
        for api in self._apis.values():
            api.End()


def line_image(page: Image.Image, line: AltoLine, scale: float) -> Image.Image | None:
    """``line`` cut out of ``page`` (ALTO pixels times ``scale`` are the image's): its box, the
    pixels outside its polygon white (eScriptorium's boxes overlap the neighbouring lines), and
    a white border; None when the box is under 2 px in either direction."""
    x0, y0, x1, y1 = (round(v * scale) for v in line.box)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, page.width), min(y1, page.height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = page.crop((x0, y0, x1, y1))
    if len(line.polygon) >= 3:
        mask = Image.new("L", crop.size, 0)
        ImageDraw.Draw(mask).polygon([(x * scale - x0, y * scale - y0) for x, y in line.polygon], fill=255)
        crop = Image.composite(crop, Image.new(crop.mode, crop.size, "white"), mask)
    return ImageOps.expand(crop, border=LINE_BORDER, fill="white")


def _has(git: GitSource, path: str) -> bool:
    """Whether ``path``'s blob is in the mirror (a snapshot leaves out its largest files)."""
    check = ["git", "--git-dir", str(git.git_dir()), "cat-file", "-e", f"{git.commit}:{path}"]
    return subprocess.run(check, capture_output=True).returncode == 0


def group_pages(group: Group, mirrors: Path, max_pages: int) -> tuple[GitSource, list[str], int]:
    """The group's source, the image paths drawn (at most ``max_pages``, spread over the sorted
    paths that have an ALTO file) and how many of its images the mirror lacks."""
    git = GitSource(group.repo, group.commit, mirrors, mirrors / "cache")
    paths = [p for p in git.ls("data/") if p.startswith(group.prefixes)]
    listed = set(paths)
    images = [
        p
        for p in paths
        if Path(p).suffix.lower() in IMAGE_SUFFIXES and str(Path(p).with_suffix(".xml")) in listed
    ]
    present = [p for p in images if _has(git, p)]
    return git, _spread(present, max_pages), len(images) - len(present)


def as_escalation_keeps(first: OcrPage, strong: OcrPage) -> OcrPage:
    """The page a Tesseract workflow keeps, from Tesseract's read under the default rule (with a
    fallback that read nothing) and the strong engine's read of the same image: what
    ``ocr_page`` does with that engine as the fallback, without reading the page twice."""
    return strong if first.escalation is not None and strong.words else first


@dataclass
class PageRead:
    """One page read the three ways: (reference, read) of the page and of each line, CPU seconds."""

    cpu_s: dict[str, float] = field(default_factory=dict)
    second_pass: str = "-"
    kept: str = EDF
    escalated: bool = False
    page: dict[str, tuple[str, str]] = field(default_factory=dict)
    file_order_reference: str = ""
    lines: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {way: [] for way in WAYS})


def measure_page(
    git: GitSource,
    path: str,
    language: str,
    engine: TesseractEngine,
    lines_reader: LineReader,
    paddle: OcrEngine | None = None,
) -> PageRead:
    """Read the page at ``path`` each way, whole (``ocr_page``) and line by line; with ``paddle``
    the page also by PaddleOCR alone and as escalation keeps it."""
    (image,) = load_image_pages(git.read(path), [0])
    size, lines = alto_lines(git.read(str(Path(path).with_suffix(".xml"))))
    scale = image.width / size[0] if size else 1.0
    out = PageRead()
    reads = {}
    for way in WAYS:
        port: OcrEngine = (
            engine if way == "docroute" else _OneList(engine, EDF if way == "eng+deu+fra" else language)
        )
        # docroute's read also asks whether a Tesseract workflow's default escalation would read
        # the page again with PaddleOCR (the stand-in reads nothing, so Tesseract's words stay).
        fallback, rule = (_Unread(), EscalationRule()) if way == "docroute" else (None, NEVER)
        started = time.process_time()
        reads[way] = ocr_page(
            0, image, cropping=False, language="latin", engine=port, fallback=fallback, rule=rule
        )
        out.cpu_s[way] = time.process_time() - started
    out.escalated = reads["docroute"].escalation is not None
    if paddle is not None:
        started = time.process_time()
        reads["paddle"] = ocr_page(0, image, cropping=False, language="latin", engine=paddle)
        out.cpu_s["paddle"] = time.process_time() - started
        reads["escalation"] = as_escalation_keeps(reads["docroute"], reads["paddle"])
        out.cpu_s["escalation"] = out.cpu_s["docroute"] + (out.cpu_s["paddle"] if out.escalated else 0.0)
    # Which pass the rule kept: the languages it read again with, and whether its words are those.
    again = second_pass_languages(reads["eng+deu+fra"].text)
    out.second_pass = again or "-"
    if again is not None and reads["docroute"].words != reads["eng+deu+fra"].words:
        out.kept = again
    page_reference = normalise("\n".join(reference(line.text) for line in reading_order(lines)))
    out.page = {way: (page_reference, normalise(read.text)) for way, read in reads.items()}
    out.file_order_reference = normalise("\n".join(reference(line.text) for line in lines))
    lists = {"eng+deu+fra": EDF, "own": language, "docroute": out.kept}
    for line in lines:
        wanted = normalise(reference(line.text))
        crop = line_image(image, line, scale)
        if not wanted or crop is None:
            continue
        read_with: dict[str, str] = {}
        for way, langs in lists.items():
            if langs not in read_with:
                read_with[langs] = normalise(lines_reader.read(crop, langs))
            out.lines[way].append((wanted, read_with[langs]))
    return out


def run_group(
    group: Group,
    mirrors: Path,
    max_pages: int,
    engine: TesseractEngine,
    lines_reader: LineReader,
    paddle: OcrEngine | None = None,
) -> GroupResult:
    """Read the group's pages drawn and sum their errors."""
    git, paths, missing = group_pages(group, mirrors, max_pages)
    result = GroupResult(group, missing=missing)
    for path in paths:
        read = measure_page(git, path, group.language, engine, lines_reader, paddle)
        page: dict[str, Any] = {
            "path": path,
            "lines": len(read.lines[WAYS[0]]),
            "page_chars": len(read.page[WAYS[0]][0]),
            "second_pass": read.second_pass,
            "kept": read.kept,
            "escalated": read.escalated,
        }
        for way in read.page:
            result.page_tally[way].add(*read.page[way])
            result.page_tally[way].cpu_s += read.cpu_s[way]
            result.file_order[way].add(read.file_order_reference, read.page[way][1])
            for pair in read.lines.get(way, []):
                result.line_tally[way].add(*pair)
            wanted, text = read.page[way]
            page[f"{way}_page_cer"] = round(distance(wanted, text) / max(len(wanted), 1), 4)
            page[f"{way}_cpu_s"] = round(read.cpu_s[way], 2)
        result.pages += 1
        result.lines += page["lines"]
        result.second_pass[read.second_pass] += 1
        result.kept[read.kept] += 1
        result.escalated += read.escalated
        result.per_page.append(page)
        print(
            f"  {path}: {page['lines']} lines, page CER "
            + " / ".join(f"{page[f'{way}_page_cer']:.1%}" for way in read.page)
            + f", CPU-s {' / '.join(f'{read.cpu_s[way]:.1f}' for way in read.page)}"
            + f", second pass {read.second_pass} -> kept {read.kept}"
            + (", escalated" if read.escalated else ""),
            flush=True,
        )
    return result


def _row(result: GroupResult) -> str:
    g = result.group
    lines = " ".join(f"{result.line_tally[w].cer:7.1%}" for w in WAYS)
    pages = " ".join(f"{result.page_tally[w].cer:7.1%}" for w in WAYS)
    seconds = " ".join(f"{result.page_tally[w].cpu_s / max(result.pages, 1):5.2f}" for w in WAYS)
    counts = f"{result.pages:3d} {result.lines:5d} {result.line_tally[WAYS[0]].chars:7d}"
    return f"{g.language:4} {g.kind:15} {counts} | {lines} | {pages} | {seconds}"


def _engine_row(result: GroupResult) -> str:
    """Pages by Tesseract (docroute's rule), PaddleOCR alone and escalation: CER and CPU-s a page."""
    ways = ("docroute", *ENGINE_WAYS)
    pages = " ".join(f"{result.page_tally[w].cer:7.1%}" for w in ways)
    seconds = " ".join(f"{result.page_tally[w].cpu_s / max(result.pages, 1):6.2f}" for w in ways)
    return f"{result.group.language:4} {result.group.kind:15} {result.pages:3d} | {pages} | {seconds}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--max-pages", type=int, default=12, help="pages per language and source kind")
    parser.add_argument(
        "--only", default="", help="comma-separated group keys (eng-typewritten, ita-print, ...)"
    )
    parser.add_argument("--json", help="also write the figures and every page's to this file")
    parser.add_argument(
        "--paddle",
        action="store_true",
        help="also read each page with PaddleOCR alone and as the default escalation keeps it",
    )
    args = parser.parse_args()
    only = {key for key in args.only.split(",") if key}
    # As the OCR service: set before tesserocr is first imported (OpenMP reads it once).
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    engine = TesseractEngine()
    engine.load("latin")
    lines_reader = LineReader()
    paddle = PaddleEngine() if args.paddle else None
    results = []
    for group in GROUPS:
        if only and group.key not in only:
            continue
        print(f"{group.language} {group.kind} ({group.repo}@{group.commit[:10]})", flush=True)
        results.append(run_group(group, args.mirrors, args.max_pages, engine, lines_reader, paddle))
    engine.close()
    lines_reader.close()
    print("\nCER lines (PSM 7) and pages, and CPU-s a page, each as eng+deu+fra / own language / docroute")
    print(f"{'lang':4} {'kind':15} {'pp':>3} {'lines':>5} {'chars':>7} | lines | pages | CPU-s a page")
    for result in results:
        print(_row(result))
        print(
            f"{'':20} second pass named: {dict(result.second_pass)}, kept: {dict(result.kept)}, "
            f"escalated by the default rule: {result.escalated} of {result.pages}, "
            f"page chars {result.page_tally[WAYS[0]].chars}, images missing from the mirror {result.missing}"
        )
        file_order = " / ".join(f"{result.file_order[w].cer:.1%}" for w in WAYS)
        print(f"{'':20} page CER against the lines in the ALTO file's order: {file_order}")
    if paddle is not None:
        print("\nPages: CER and CPU-s a page, Tesseract (docroute's rule) / PaddleOCR alone / escalation")
        for result in results:
            print(_engine_row(result))
    if args.json:
        ways = PAGE_WAYS if paddle is not None else WAYS
        out = [
            {
                "language": r.group.language,
                "kind": r.group.kind,
                "source": f"{r.group.repo}@{r.group.commit}",
                "pages": r.pages,
                "lines": r.lines,
                "missing_images": r.missing,
                "line_chars": r.line_tally[WAYS[0]].chars,
                "page_chars": r.page_tally[WAYS[0]].chars,
                "line_cer": {w: round(r.line_tally[w].cer, 4) for w in WAYS},
                "page_cer": {w: round(r.page_tally[w].cer, 4) for w in ways},
                "page_cer_file_order": {w: round(r.file_order[w].cer, 4) for w in ways},
                "cpu_s_per_page": {w: round(r.page_tally[w].cpu_s / max(r.pages, 1), 2) for w in ways},
                "second_pass": dict(r.second_pass),
                "kept": dict(r.kept),
                "escalated": r.escalated,
                "per_page": r.per_page,
            }
            for r in results
        ]
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
