"""Real handwritten pages read by Tesseract, by PaddleOCR, and as each `text_style` reads them.

Run from the repository root (the pages come from pinned public git mirrors; ``fetch`` brings
them to /work/.mirror)::

    nice .venv/bin/python -m bench.handwriting [--mirrors /work/.mirror]

Each page is a real scan of handwriting whose text is known: a CVL database page (a writer
copying the opening of Abbott's *Flatland*, public domain), an IAM database form (a01-000u, a
sentence of the LOB corpus copied by hand), a note and a line from the SimpleHTR / WordDetector
samples. Printed are each engine's character error rate (Levenshtein distance / reference
length, whitespace collapsed, case kept), the share of the reference's words found, and CPU
seconds per page, single-threaded as in the OCR service. `printed` is Tesseract with docroute's
escalation rule (a page it reads poorly is read again with PaddleOCR); `both` is PaddleOCR on
every page (`services/ocr/core/engine.py`).

Then each of the two full pages is pasted under a printed letter (a composition: the print is
drawn, the handwriting is the real scan) - a form filled in by hand. On such a page Tesseract
reads the print confidently, so escalation does not read the page again and the handwriting is
lost; printed are the words of the print and of the handwriting each way finds.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bench.corpus.build import GitSource
from bench.ocr_languages import _distance, _norm
from tests.factories.documents import A4_200DPI, find_font

# (repository, commit, path, reference text): real handwriting, the text it was written from.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    (
        "githubharald/WordDetectorNN",
        "a11f5bf4a69acc58dcf9c900d0caad17fb464d74",
        "data/test/cvl.jpg",
        "Imagine a vast sheet of paper on which straight Lines, Triangles, Squares, Pentagons, "
        "Hexagons, and other figures, instead of remaining fixed in their places, move freely "
        "about, on or in the surface, but without the power of rising above or sinking below it, "
        "very much like shadows - only hard and with luminous edges - and you will then have a "
        "pretty correct notion of my country and countrymen. Alas, a few years ago, I should have "
        'said "my universe": but now my mind has been opened to higher views of things.',
    ),
    (
        "alphacoder01/hand-written-text-recognition",
        "aa576deee0e84ad323bdea40f1296e9ed0cc144c",
        "images/a01-000u.png",
        "A MOVE to stop Mr. Gaitskell from nominating any more Labour life Peers is to be made at "
        "a meeting of Labour MPs tomorrow. Mr. Michael Foot has put down a resolution on the "
        "subject and he is to be backed by Mr. Will Griffiths, MP for Manchester Exchange.",
    ),
    (
        "githubharald/WordDetectorNN",
        "a11f5bf4a69acc58dcf9c900d0caad17fb464d74",
        "data/test/random.jpg",
        "These are some handwritten notes. Just for testing!",
    ),
    (
        "githubharald/SimpleHTR",
        "33f1f889c61f44acf8f05bffa94a73250f2aba7a",
        "data/line.png",
        "or work on line level",
    ),
)


LETTER = (
    "Dear Sir or Madam, we acknowledge receipt of your letter of 12 March concerning the renewal "
    "of the lease for the premises at 14 Station Road. Please complete the section below in your "
    "own hand and return this form to our office within fourteen days. Yours faithfully, the "
    "Estates Department."
)


def filled_form(handwriting: Image.Image) -> Image.Image:
    """An A4 page at 200 dpi: LETTER printed at the top, the real handwriting pasted below it."""
    page = Image.new("RGB", A4_200DPI, "white")
    draw, font = ImageDraw.Draw(page), ImageFont.truetype(find_font(), 30)
    y = 150
    for line in textwrap.wrap(LETTER, 80):
        draw.text((130, y), line, fill="black", font=font)
        y += 48
    scale = min(1400 / handwriting.width, (A4_200DPI[1] - y - 200) / handwriting.height)
    hand = handwriting.resize((round(handwriting.width * scale), round(handwriting.height * scale)))
    page.paste(hand, (130, y + 100))
    return page


@dataclass(frozen=True)
class Read:
    """One page read one way."""

    errors: int
    reference_chars: int
    words_found: int
    reference_words: int
    cpu_s: float
    engine: str


def _words(text: str) -> list[str]:
    return [w.strip(".,:;!?\"'-").lower() for w in text.split() if w.strip(".,:;!?\"'-")]


def score(reference: str, text: str, cpu_s: float, engine: str) -> Read:
    reference, text = _norm(reference), _norm(text)
    wanted, pool = _words(reference), _words(text)
    found = 0
    for word in wanted:
        if word in pool:
            pool.remove(word)
            found += 1
    return Read(_distance(reference, text), len(reference), found, len(wanted), cpu_s, engine)


def load_pages(mirrors: Path) -> list[tuple[str, Image.Image, str]]:
    pages = []
    for repo, commit, path, reference in PAGES:
        try:
            data = GitSource(repo, commit, mirrors, mirrors / "cache").read(path)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"{repo}:{path} not at hand ({exc}); fetch {repo}")
            continue
        pages.append(
            (
                f"{repo.split('/')[1]}:{Path(path).name}",
                Image.open(io.BytesIO(data)).convert("RGB"),
                reference,
            )
        )
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    from docroute.ocr_result import mean_confidence
    from services.ocr.adapters import PaddleEngine, TesseractEngine
    from services.ocr.core.escalation import EscalationRule, ink_covered
    from services.ocr.core.extract import MAX_OCR_SIDE

    pages = load_pages(args.mirrors)
    if not pages:
        raise SystemExit("no page at hand")
    tesseract, paddle = TesseractEngine(), PaddleEngine()
    paddle.recognize(Image.new("RGB", (64, 32), "white"), "latin")  # loaded before the clock
    rule = EscalationRule()

    def timed(read: Callable[[], str], engine: str, reference: str) -> Read:
        start = time.process_time()
        text = read()
        return score(reference, text, time.process_time() - start, engine)

    rows: dict[str, list[Read]] = {"tesseract": [], "paddle": [], "printed": [], "both": []}
    for name, image, reference in pages:
        image.thumbnail((MAX_OCR_SIDE, MAX_OCR_SIDE), Image.Resampling.LANCZOS)  # as extract does
        t_words: list = []

        def read_tesseract(image: Image.Image = image, into: list = t_words) -> str:
            into[:] = tesseract.recognize(image, "latin")
            return " ".join(w.text for w in into)

        def read_paddle(image: Image.Image = image) -> str:
            return " ".join(w.text for w in paddle.recognize(image, "latin"))

        t = timed(read_tesseract, "tesseract", reference)
        p = timed(read_paddle, "paddle", reference)
        escalate = rule.reason(mean_confidence(t_words), ink_covered(image, t_words)) is not None
        printed = Read(
            p.errors if escalate else t.errors,
            t.reference_chars,
            p.words_found if escalate else t.words_found,
            t.reference_words,
            t.cpu_s + (p.cpu_s if escalate else 0.0),
            "paddle" if escalate else "tesseract",
        )
        for key, read in (("tesseract", t), ("paddle", p), ("printed", printed), ("both", p)):
            rows[key].append(read)
        print(
            f"{name:42s} {len(_norm(reference)):4d} chars  CER tesseract {t.errors / t.reference_chars:.3f}"
            f"  paddle {p.errors / p.reference_chars:.3f}  printed kept {printed.engine}"
        )

    print()
    print("| read as | pages | CER (all characters) | words found | CPU-s a page | pages read by Paddle |")
    print("|---|---|---|---|---|---|")
    for key, reads in rows.items():
        chars = sum(r.reference_chars for r in reads)
        words = sum(r.reference_words for r in reads)
        print(
            f"| {key} | {len(reads)} | {sum(r.errors for r in reads) / chars:.3f} "
            f"| {sum(r.words_found for r in reads) / words:.3f} "
            f"| {sum(r.cpu_s for r in reads) / len(reads):.1f} "
            f"| {sum(r.engine == 'paddle' for r in reads)} |"
        )

    print()
    print("Filled forms (print drawn, real handwriting pasted): words found")
    print("| page | read as | print words | handwriting words | CPU-s |")
    print("|---|---|---|---|---|")
    for name, image, reference in pages[:2]:
        form = filled_form(image)
        start = time.process_time()
        words = tesseract.recognize(form, "latin")
        t_cpu = time.process_time() - start
        why = rule.reason(mean_confidence(words), ink_covered(form, words))
        start = time.process_time()
        p_text = " ".join(w.text for w in paddle.recognize(form, "latin"))
        p_cpu = time.process_time() - start
        t_text = p_text if why else " ".join(w.text for w in words)
        for key, text, cpu in (("printed", t_text, t_cpu + (p_cpu if why else 0.0)), ("both", p_text, p_cpu)):
            letter, hand = score(LETTER, text, cpu, key), score(reference, text, cpu, key)
            print(
                f"| {name} | {key}{' (escalated)' if key == 'printed' and why else ''} "
                f"| {letter.words_found / letter.reference_words:.2f} "
                f"| {hand.words_found / hand.reference_words:.2f} | {cpu:.1f} |"
            )


if __name__ == "__main__":
    main()
