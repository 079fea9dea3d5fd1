"""Tesseract on the 16 languages of character set `latin`: error and time per page (not a test).

Run from the repository root (about a minute on 2 busy cores)::

    .venv/bin/python -m bench.ocr_languages [--json PATH]

Each language gets four sentences full of its own letters (ł ż ř ů ø å ő č ...), rendered as a
flat 200 dpi scan (noise, blur, 1.5 degrees tilt: `tests/factories`). Each page is read by
Tesseract with `eng+deu+fra` (what `latin` read before), the page's own language alone, all 16
in one list, and as the OCR service reads `latin` (`TesseractEngine.recognize`: `eng+deu+fra`,
then the detected language alone when it is another of the 16). Printed per language: character
error rate (edit distance / reference characters, whitespace collapsed), the letters outside
ASCII found, and seconds per page (language data already loaded). These are generated pages,
not real scans: they measure what the language data adds, not accuracy on real mail.

`--manpages DIR` adds real text: Debian's translated manual pages (manpages-de, -es, -fr, -it,
-nl, -pl, -pt-br 4.18.1 and manpages 6.03 for English, GPL; as `bench/corpus/build.py` extracts
them, `man-<lang>-<page>.txt`), 30 lines of each of `--pages` pages per language, rendered the
same way; `eng+deu+fra` against docroute's rule.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from bench.ocr_real_scans import distance, normalise
from docroute.languages import LATIN_LANGUAGES
from docroute.ocr_result import words_to_text
from services.ocr.adapters import TESSDATA, TesseractEngine
from tests.factories.documents import render_scanned_page
from tests.factories.latin_languages import SAMPLES


def _special_recall(reference: str, read: str) -> tuple[int, int]:
    """(language-specific letters found in order-free multiset, letters expected): non-ASCII letters."""
    wanted = [c for c in reference if c.isalpha() and not c.isascii()]
    pool = list(read)
    found = 0
    for char in wanted:
        if char in pool:
            pool.remove(char)
            found += 1
    return found, len(wanted)


def main() -> None:
    import tesserocr

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--manpages", type=Path, help="a folder of man-<lang>-<page>.txt files")
    parser.add_argument("--pages", type=int, default=3, help="manual pages per language")
    args = parser.parse_args()
    configs = {
        "eng+deu+fra": "eng+deu+fra",
        "own": None,
        "latin16": "+".join(LATIN_LANGUAGES),
        "docroute": "",
    }
    apis: dict[str, Any] = {}
    engine = TesseractEngine()
    engine.load("latin")
    rows = []
    print(
        f"{'lang':5} "
        + " ".join(f"{name:>24}" for name in configs)
        + "   (CER / special letters / s per page)"
    )
    for language, lines in SAMPLES.items():
        image = render_scanned_page(lines, background=False, font_px=32, seed=3)
        reference = normalise("\n".join(lines))
        row: dict[str, Any] = {"language": language}
        cells = []
        for name, langs in configs.items():
            started = time.perf_counter()
            if langs == "":
                read = normalise(words_to_text(engine.recognize(image, "latin")))
            else:
                langs = langs or language
                if langs not in apis:
                    apis[langs] = tesserocr.PyTessBaseAPI(path=TESSDATA, lang=langs)
                    started = time.perf_counter()
                apis[langs].SetImage(image)
                read = normalise(apis[langs].GetUTF8Text())
            seconds = time.perf_counter() - started
            cer = distance(reference, read) / len(reference)
            found, wanted = _special_recall(reference, read)
            row[name] = {
                "cer": round(cer, 4),
                "special_found": found,
                "special": wanted,
                "s": round(seconds, 2),
            }
            cells.append(f"{cer:6.1%} {found:3d}/{wanted:<3d} {seconds:5.2f}s")
        rows.append(row)
        print(f"{language:5} " + " ".join(f"{cell:>24}" for cell in cells), flush=True)
    for api in apis.values():
        api.End()
    engine.close()
    summary = {
        name: {
            "mean_cer": round(sum(r[name]["cer"] for r in rows) / len(rows), 4),
            "special_recall": round(
                sum(r[name]["special_found"] for r in rows) / sum(r[name]["special"] for r in rows), 4
            ),
            "mean_s": round(sum(r[name]["s"] for r in rows) / len(rows), 2),
        }
        for name in configs
    }
    print(
        "mean  "
        + " ".join(
            f"{s['mean_cer']:6.1%} {s['special_recall']:7.1%} {s['mean_s']:5.2f}s" for s in summary.values()
        )
    )
    manuals = _manuals(args.manpages, args.pages) if args.manpages else {}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"rows": rows, "summary": summary, "manpages": manuals}, handle, indent=1)


_MAN_LANGUAGES = {
    "en": "eng",
    "de": "deu",
    "fr": "fra",
    "es": "spa",
    "it": "ita",
    "nl": "nld",
    "pl": "pol",
    "pt": "por",
}


def _manuals(folder: Path, pages: int) -> dict[str, dict[str, float]]:
    """CER of `eng+deu+fra` and of docroute's rule on rendered pages of real manual text."""
    engine = TesseractEngine()
    engine.load("latin")
    print(f"\nreal text (Debian manual pages), {pages} rendered pages per language: CER, s per page")
    print(f"{'lang':5} {'eng+deu+fra':>18} {'docroute':>18}")
    out: dict[str, dict[str, float]] = {}
    for short, code in _MAN_LANGUAGES.items():
        files = sorted(folder.glob(f"man-{short}-*.txt"))[:pages]
        errors = {"eng+deu+fra": [0, 0.0], "docroute": [0, 0.0]}
        chars = 0
        for path in files:
            body = [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()[2:]]
            lines = [line[:70] for line in body if len(line) > 20][:30]
            image = render_scanned_page(lines, background=False, font_px=28, seed=5)
            reference = normalise("\n".join(lines))
            chars += len(reference)
            for name in errors:
                started = time.perf_counter()
                words = (
                    engine.read(image, "eng+deu+fra")
                    if name == "eng+deu+fra"
                    else engine.recognize(image, "latin")
                )
                errors[name][1] += time.perf_counter() - started
                errors[name][0] += distance(reference, normalise(words_to_text(words)))
        out[code] = {name: round(e / chars, 4) for name, (e, _) in errors.items()}
        out[code] |= {f"{name}_s": round(t / len(files), 2) for name, (_, t) in errors.items()}
        print(
            f"{code:5} " + " ".join(f"{e / chars:10.1%} {t / len(files):5.2f}s" for e, t in errors.values()),
            flush=True,
        )
    engine.close()
    return out


if __name__ == "__main__":
    main()
