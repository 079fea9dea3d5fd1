"""A generative novelty score for unknown kinds (issue 13; bench/unknown_fewshot.py).

Per class, a multinomial language model over the document's tokens (words, or character n-grams
within words) fitted on the class's training samples, Dirichlet-smoothed towards a background
language model (the shipped background set plus all the workflow's samples pooled, add-one
smoothed over the tokens they hold plus one for any unseen token). A document's score under a
class is its length-normalised log-likelihood ratio, class model over background:

    llr_c(d) = 1/|d| sum_{w in d} log p_c(w) / p_bg(w),
    p_c(w) = (n_c(w) + mu p_bg(w)) / (N_c + mu)

so a token the class never used costs log(mu / (N_c + mu)) whatever it is, and a token the class
uses more than the background earns its ratio. The novelty is minus the llr under the predicted
class (the product's classifier's), or under the best class ("max"), or the predicted class's
llr over the best other class's ("margin"). Its limit is the conformal `share` (5 %, or less)
of the workflow's own samples' held-out novelties (folds holding near-duplicates together, as
the trainer's background limit), each class's novelties read as they are ("pooled") or as
z-scores against the class's own held-out ones ("z").

The token counts are taken once per process over every corpus document and the background set
(one vocabulary is only an index: a token with no count in a run's training samples or the
background is treated as unseen, so nothing is learnt from the test documents).

Language-aware variants (the view reads language as much as kind: docs/quality.md, 2026-12-03):
`gate` makes the view abstain on a document whose language none of the gate class's training
samples is written in ('pred': the product's predicted class, 'best': the generative best class;
the held-out samples that calibrate the limit are gated by their own class's samples in the other
folds, and the limit is taken over those it speaks on), so only the default decides there; `langs`
says where the languages come from ('detected': langdetect as the OCR service runs it, on the
first 3,000 characters of every document, training sample and background text; 'corpus': the
corpus's `lang` field, an upper bound; the background texts are detected either way);
`lang_mu` > 0 fits a background model per language (that language's background texts and
samples, Dirichlet-smoothed with `lang_mu` tokens towards the pooled one) and reads a document's
llr over its own language's background.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from bench._language_view import detect
from bench.corpus.build import DEFAULT_OUT
from docroute.classifier.background import load_background
from docroute.classifier.features import TfidfConfig, analyze
from docroute.classifier.wording import gate_speaks
from services.trainer.core.outlier_exposure import conformal_limit, duplicate_folds
from services.trainer.core.wording import class_languages, class_ratios

F64 = npt.NDArray[np.float64]
MAX_CHARS = 20_000  # the classifier reads this much of a document
_WORD = re.compile(r"[^\W\d_]+|\d+")


def words(text: str) -> list[str]:
    """Lower-cased words; a run of digits becomes its shape ('#' x its length, up to 6)."""
    out = []
    for tok in _WORD.findall(text[:MAX_CHARS].lower()):
        out.append("#" * min(len(tok), 6) if tok[0].isdigit() else tok)
    return out


@dataclass(frozen=True)
class Spec:
    """One generative variant: tokens ('words' | 'chars'), counts ('tf' | 'binary': each distinct
    token once a document), Dirichlet `mu` (tokens), the class read ('pred' | 'max'; 'margin': the
    predicted class's llr over the best other class's, not the background's), the limit
    ('pooled' | 'z': each class's novelties as z-scores of its own held-out ones) at `share`."""

    tokens: str = "words"  # 'words' | 'chars' | 'shape' (the text's shape's character n-grams)
    counts: str = "tf"
    mu: float = 1000.0
    read: str = "pred"
    limit: str = "z"
    share: float = 0.05  # the conformal limit's share of held-out samples above it
    # 'pred' | 'best' | 'any' | 'other': abstain on a language the gate class's (any class's, any
    # other class's) samples lack
    gate: str = "none"
    langs: str = "detected"  # 'detected' (langdetect) | 'corpus' (the corpus's lang field)
    lang_mu: float = 0.0  # > 0: a background model per language, smoothed towards the pooled one
    gate_min: int = 1  # the gate passes a language at least this many of the class's samples are in
    ngrams: tuple[int, int] = (3, 5)  # character n-gram lengths ('chars')


ABSTAIN = -1e6  # an abstaining view's gap to its limit: never flagged, at any limit of the curve


class Counts:
    """Token counts of every document of the bench and of the background set, taken once."""

    def __init__(
        self, texts: list[str], background: list[str], tokens: str, ngrams: tuple[int, int] = (3, 5)
    ) -> None:
        if tokens == "words":
            vec = CountVectorizer(analyzer=words)
        elif tokens == "shape":  # the classifier's shape block's n-grams (letters "a", digits "0")
            config = TfidfConfig(analyzer="shape", ngram_range=ngrams)
            vec = CountVectorizer(analyzer=lambda text: analyze(text, config))
        else:
            vec = CountVectorizer(analyzer="char_wb", ngram_range=ngrams, lowercase=True)
            texts = [t[:MAX_CHARS] for t in texts]
            background = [t[:MAX_CHARS] for t in background]
        x = vec.fit_transform(list(texts) + list(background)).tocsr().astype(np.float64)
        self.docs = x[: len(texts)]
        self.background = x[len(texts) :]


_CACHE: dict[tuple[int, str, tuple[int, int]], Counts] = {}


def counts_for(bench: Any, tokens: str, ngrams: tuple[int, int] = (3, 5)) -> Counts:
    key = (id(bench), tokens, ngrams)
    if key not in _CACHE:
        _CACHE[key] = Counts(list(bench.texts), list(load_background().texts), tokens, ngrams)
    return _CACHE[key]


_LANGS: dict[tuple[int, str], tuple[list[str | None], list[str | None]]] = {}


def languages_for(bench: Any, source: str) -> tuple[list[str | None], list[str | None]]:
    """The language of every bench document ('detected' or 'corpus') and of every background
    text (always detected), detections cached on disk beside the embeddings."""
    key = (id(bench), source)
    if key not in _LANGS:
        bg_texts = list(load_background().texts)
        digest = hashlib.sha256("\n".join([*bench.texts, *bg_texts]).encode()).hexdigest()[:16]
        path = Path(DEFAULT_OUT) / f"langs-detected-{digest}.json"
        if path.exists():
            found = json.loads(path.read_text())
        else:
            found = {"docs": detect(list(bench.texts)), "background": detect(bg_texts)}
            path.write_text(json.dumps(found))
        docs = [d.lang for d in bench.docs] if source == "corpus" else found["docs"]
        _LANGS[key] = (docs, found["background"])
    return _LANGS[key]


def _view(x: sparse.csr_matrix, counts: str) -> sparse.csr_matrix:
    if counts == "binary":
        x = x.copy()
        x.data[:] = 1.0
    return x


class ClassLMs:
    """The class language models over the background one: llr per class of any count rows. The
    pooled background's models are the product's (`class_ratios`, services/trainer/core/wording.py);
    `lang_mu` > 0 adds the per-language backgrounds tried on 2026-12-03 (bench only)."""

    def __init__(
        self,
        x: sparse.csr_matrix,
        y: npt.NDArray[np.int64],
        n: int,
        bg: sparse.csr_matrix,
        mu: float,
        lang_mu: float = 0.0,
        x_langs: npt.NDArray[np.object_] | None = None,
        bg_langs: npt.NDArray[np.object_] | None = None,
    ):
        bg_counts = np.asarray(bg.sum(0)).ravel()
        # log p_c / p_bg less each class's unseen cost (0 where the class never used the token)
        self.ratios, self.unseen = class_ratios(sparse.csr_array(x), y, n, bg_counts, mu)
        # A background per language (the language's background texts and samples, smoothed
        # towards the pooled background with lang_mu tokens): a document is read over its own.
        self.by_lang: dict[str, F64] = {}  # the language's background distribution
        if lang_mu > 0 and x_langs is not None and bg_langs is not None:
            pooled = np.asarray(x.sum(0)).ravel() + bg_counts
            self.seen = pooled > 0
            p_bg = (pooled + 1.0) / (pooled.sum() + self.seen.sum() + 1.0)
            self.mu = mu
            self.n_c = [np.asarray(x[y == c].sum(0)).ravel() for c in range(n)]
            for code in sorted({c for c in x_langs if c is not None}):
                n_l = np.asarray(x[x_langs == code].sum(0)).ravel()
                if (bg_langs == code).any():
                    n_l = n_l + np.asarray(bg[bg_langs == code].sum(0)).ravel()
                self.by_lang[code] = (n_l + lang_mu * p_bg) / (n_l.sum() + lang_mu)

    def _lang_ratios(self, p_ref: F64, cols: npt.NDArray[np.int64]) -> F64:
        """log p_c / p_ref per token of `cols` and class (a per-language background)."""
        p = p_ref[cols]
        ratios = np.stack(
            [np.log((n_c[cols] + self.mu * p) / ((n_c.sum() + self.mu) * p)) for n_c in self.n_c], axis=1
        )
        # Tokens no training sample nor background row holds: the unseen cost of each class.
        ratios[~self.seen[cols]] = self.unseen[None, :]
        return ratios

    def llr(self, rows: sparse.csr_matrix, langs: npt.NDArray[np.object_] | None = None) -> F64:
        length = np.maximum(np.asarray(rows.sum(1)).ravel(), 1.0)
        out = np.asarray(rows @ self.ratios, dtype=np.float64) / length[:, None] + self.unseen[None, :]
        if self.by_lang and langs is not None:
            for code, p_lang in self.by_lang.items():
                mask = langs == code
                if mask.any():
                    sub = rows[np.flatnonzero(mask)]
                    cols = np.unique(sub.indices)
                    read = np.asarray(sub[:, cols] @ self._lang_ratios(p_lang, cols), dtype=np.float64)
                    out[mask] = read / length[mask, None]
        return out


def _read(
    llr: F64, classes: npt.NDArray[np.int64] | None, margin: bool = False
) -> tuple[F64, npt.NDArray[np.int64]]:
    """Minus the llr under `classes` (None: the best class; `margin`: over the best other class's
    llr instead of the background's) and the class read."""
    if classes is None:
        classes = llr.argmax(1)
    rows = np.arange(len(llr))
    own = llr[rows, classes]
    if margin and llr.shape[1] > 1:
        other = llr.copy()
        other[rows, classes] = -np.inf
        own = own - other.max(1)
    return np.asarray(-own, dtype=np.float64), classes


def generative_scores(
    bench: Any,
    row: dict[str, Any],
    y: npt.NDArray[np.int64],
    predicted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None,
    spec: Spec,
    share: float | None,
    n_folds: int,
    duplicate: float,
) -> tuple[F64, F64]:
    """Known and unknown test documents' novelty as a gap to the limit (at `share`, None: the
    spec's), in held-out standard deviations (flagged when > 0)."""
    counts = counts_for(bench, spec.tokens, spec.ngrams)
    x_all = _view(counts.docs, spec.counts)
    bg = _view(counts.background, spec.counts)
    train = np.asarray(row["train"])
    x = x_all[train]
    n = int(y.max()) + 1
    aware = spec.gate != "none" or spec.lang_mu > 0
    if aware:
        doc_langs, bg_list = languages_for(bench, spec.langs)
        langs_all = np.array(doc_langs, dtype=object)
        bg_langs = np.array(bg_list, dtype=object)
    else:
        langs_all = bg_langs = None
    x_langs = langs_all[train] if langs_all is not None else None

    def fit(keep: npt.NDArray[np.bool_]) -> ClassLMs:
        return ClassLMs(
            x[keep],
            y[keep],
            n,
            bg,
            spec.mu,
            spec.lang_mu,
            None if x_langs is None else x_langs[keep],
            bg_langs,
        )

    def speaks(
        doc_langs: npt.NDArray[np.object_] | None, classes: npt.NDArray[np.int64], keep: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        """Whether the view speaks: the document's language is one of the gate class's samples'."""
        if spec.gate == "none" or doc_langs is None or x_langs is None:
            return np.ones(len(classes), dtype=bool)
        own = class_languages(x_langs[keep], y[keep], n, spec.gate_min)
        if spec.gate == "other":  # a language some other class's samples are in
            others = [tuple(sorted(set().union(*(own[d] for d in range(n) if d != c)))) for c in range(n)]
            return gate_speaks(others, list(doc_langs), classes, "class")
        # The product's gate: "any" is its "workflow" (a language any class's samples are in).
        return gate_speaks(own, list(doc_langs), classes, "workflow" if spec.gate == "any" else "class")

    # Held-out novelty of the workflow's own samples, each under its own class.
    folds = duplicate_folds(bench.emb[train].astype(np.float64), y, n_folds, row["seed"], duplicate)
    held = np.zeros(len(y))
    held_class = y.copy()
    held_speaks = np.ones(len(y), dtype=bool)
    for fold in np.unique(folds):
        test = folds == fold
        lms = fit(~test)
        held_langs = None if x_langs is None else x_langs[test]
        held[test], held_class[test] = _read(
            lms.llr(x[test], held_langs), None if spec.read == "max" else y[test], spec.read == "margin"
        )
        gate_class = held_class[test] if spec.gate == "best" else y[test]
        held_speaks[test] = speaks(held_langs, gate_class, ~test)
    lms = fit(np.ones(len(y), dtype=bool))
    sides = []
    gates = []
    for side, key in enumerate(("known", "unknown")):
        idx = np.asarray(row[key], dtype=np.int64)
        side_langs = None if langs_all is None else langs_all[idx]
        llr = lms.llr(x_all[idx], side_langs)
        classes = predicted[side] if spec.read != "max" and predicted is not None else None
        sides.append(_read(llr, classes, spec.read == "margin"))
        by_prediction = spec.gate in ("pred", "other") and predicted is not None
        gate_class = predicted[side] if by_prediction and predicted is not None else sides[-1][1]
        gates.append(speaks(side_langs, gate_class, np.ones(len(y), dtype=bool)))
    if spec.limit == "z":  # each class's novelties against its own held-out ones
        mean = np.array(
            [held[held_class == c].mean() if (held_class == c).any() else held.mean() for c in range(n)]
        )
        std = np.array(
            [
                max(held[held_class == c].std(), 1e-3) if (held_class == c).sum() > 1 else held.std()
                for c in range(n)
            ]
        )
        held = (held - mean[held_class]) / std[held_class]
        sides = [((s - mean[c]) / std[c], c) for s, c in sides]
    # The limit over the held-out samples the view speaks on (all of them when it never abstains).
    spoken = held[held_speaks] if held_speaks.any() else held
    limit = conformal_limit(spoken, spec.share if share is None else share)
    spread = max(float(spoken.std()), 1e-3)
    out = []
    for (s, _), gate in zip(sides, gates, strict=True):
        out.append(np.where(gate, (s - limit) / spread, ABSTAIN))
    return out[0], out[1]
