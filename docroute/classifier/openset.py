"""Whether a document is of a kind the model was never trained on, and why.

Rule (measured on real documents in `bench/quality.py`, figures in docs/quality.md): a document is
unknown when it is farther from the class it was predicted as than that class's own training
samples are from each other, by a margin, in either of two distance views:

- ``embedding``: 1 - mean cosine similarity to the k nearest training samples *of the predicted
  class* (the meaning of the text);
- ``tfidf``: 1 - cosine similarity to the predicted class's centroid of character n-gram TF-IDF
  rows (its wording, layout words, language).

and a third that needs no distance:

- ``background`` (outlier exposure): a logistic regression on the embedding, fitted on the
  training samples plus a background set of real documents of other kinds (reports, notices,
  tables; docroute.classifier.background), less those inside a class's own spread, as one more
  class; unknown when that class's probability exceeds ``UnknownConfig.background_probability``
  (the document looks more like "anything else" than like the classes). Fitted by the trainer
  (services/trainer/core/outlier_exposure.py).

and one that reads the words, and decides alone where it speaks:

- ``wording`` (docroute.classifier.wording): per class, a language model of the character
  n-grams of its samples over a background one; it speaks only on a document in a language its
  predicted class's samples are in, and there its verdict replaces the others' (fitted by
  services/trainer/core/wording.py).

Only the views in ``UnknownConfig.views`` flag (default: the background, and the embedding at a
wide margin; why: there). Each class gets its own threshold per distance view: the largest
leave-one-out distance of its training samples, pulled towards the 0.95 quantile of all classes'
leave-one-out distances when the class has few samples (weight n / (n + 5)), x ``margin``.
Leave-one-out skips near-duplicates (samples above ``duplicate_similarity`` to the one left
out: several invoices of one sender) because a new document of a known kind is rarely a
near-copy of a training sample; counting them makes the class look tighter than it is.
One global threshold cannot work on real mail: a class of varied documents (manuals in eight
languages) sets it so high that a tight class (receipts) never flags anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from docroute.classifier.novelty import unit_rows
from docroute.classifier.wording import (
    WORDING,
    CorroborationLanguages,
    LanguageCountOver,
    WordingGate,
    WordingRule,
    languages_of,
    wording_counts,
)

F32 = npt.NDArray[np.float32]
VIEWS = ("embedding", "tfidf")  # the distance views, rows of `UnknownRule.thresholds`
BACKGROUND = "background"


@dataclass(frozen=True)
class UnknownConfig:
    """How the per-class thresholds are set."""

    k: int = 3
    margin: float = 1.25
    # The margin instead when the background view flags too: the distance views then flag only
    # documents far past their class's spread; at x2.0 the embedding view flagged no known
    # document that the background view did not (docs/quality.md, 2026-12-01 ~10:00 UTC).
    margin_beside_background: float = 2.0
    # A class's own spread, measured on n samples, is pulled towards the spread of all training
    # samples with this weight (in samples): with 5 samples the largest of 5 distances says
    # little, with 30 it says most.
    prior_samples: float = 5.0
    prior_quantile: float = 0.95
    # Leave-one-out ignores training neighbours more similar than this (near-duplicates).
    duplicate_similarity: tuple[float, float] = (0.9, 0.8)  # embedding, tfidf
    # The views that may flag a document; the others get threshold 1, which a cosine distance of
    # non-negative TF-IDF rows never exceeds. Character TF-IDF is off by default: its distance
    # measures the language as much as the kind, so it flagged a known kind in a language absent
    # from training (23 % of the man pages in 7 other languages at 15 samples per class) while
    # catching no left-out kind that the confidence threshold or the multilingual embedding did
    # not already send to review (docs/quality.md, bench/unknown_views.py).
    # Outlier exposure ("background") is the main view since 2026-12-01: on real documents at 15
    # samples per class it sends 0.70 of a left-out kind to review at 3.7 % of known documents
    # flagged, against 0.62 at 1.5 % and 0.66 at 4.2 % for the embedding view at its best margins
    # (docs/quality.md). The embedding view stays beside it at margin x2.0, where it costs nothing
    # measured on real documents and still flags a document far from every sample of its class
    # that the background does not resemble (a generated bank statement among invoices).
    views: tuple[str, ...] = (BACKGROUND, "embedding")
    # Outlier exposure: unknown when the background class's probability exceeds this. 0.2 with
    # the first shipped set (279 texts, two of its sources GPL); 0.16 with the generic set
    # without copyleft texts (327, 13 languages); 0.2 again since the set is real documents (45
    # US government reports, notices and tables) with the rows the classes claim dropped: at 15
    # samples a class 0.82 / 5.0 % at 0.16, 0.80 / 2.7 % at 0.2, 0.77 / 1.9 % at 0.25, where the
    # generic set was 0.74 / 3.5 % (docs/quality.md). Versions trained before keep their limit.
    background_probability: float = 0.2
    # Its logistic regression's inverse L2 strength (on unit embeddings).
    background_c: float = 10.0
    # The limit is raised, where the workflow's own samples need it, to the conformal quantile
    # of their out-of-fold background probabilities (pooled over the classes, held out with their
    # near-duplicates): at most this share of a trained kind's new documents is flagged by this
    # view, whatever the number of samples (outlier_exposure.conformal_limit). It replaced the
    # few-samples rule below, whose raise, set with the generic set, fell short with the real
    # documents (6.2 % of known documents flagged at 5 samples a class, docs/quality.md).
    # 0: the rule of recipes stored before it.
    background_flag_share: float = 0.05
    # Recipes stored before the conformal limit: a class with fewer samples than this raised the
    # limit to the highest out-of-fold background probability of a training sample (10 then).
    background_few_samples: int = 0
    # Drop the background rows that lie inside a class's own spread before the fit
    # (outlier_exposure.claimed_by_classes): the background is real documents, and a workflow
    # may train a kind it holds. Without it, at 15 samples a class and limit 0.2, the closed set
    # flags 4.9 % of known documents instead of 3.0 % and routes 0.918 instead of 0.936
    # (docs/quality.md). Recipes from before it keep the whole set.
    background_claims: bool = True
    # The wording view (docroute.classifier.wording): where it speaks (the document is in a
    # language its predicted class's samples are in) it decides instead of the views above, at
    # the conformal limit that flags this share of the samples' held-out novelties. On real
    # documents at 15 samples a class it sends 0.84-0.87 of a left-out kind to review where the
    # views above send 0.77-0.82, at 3.7-4.6 % of known documents flagged against 3.3-4.2 %
    # (three held-out groups of draws; 5 % of the held-out samples flagged 6.5 % of known
    # documents on the seeds it was chosen on; docs/quality.md). 0: off, the rule of recipes
    # stored before it.
    wording_flag_share: float = 0.02
    # Its class models' Dirichlet smoothing towards the background, in n-grams (1,000 and
    # 10,000 measured beside 3,000 on seeds 0-1).
    wording_mu: float = 3000.0
    # Where the wording view speaks: "class", a language the predicted class's samples are in;
    # "workflow", a language any of the workflow's samples are in (the workflow's setting
    # `wording_languages`, taken by the trainer per workflow; docroute.classifier.wording).
    wording_gate: WordingGate = "class"
    # Under the class gate a language is one the view speaks on for a class once at least this
    # many of the class's samples are in it. With one, a reviewer's first document in a new
    # language made the class's next documents in it be judged by that one document's wording:
    # German-trained manual pages read in languages no sample was in went from 0.92 routed right
    # to 0.66 after one reviewed page joined the samples, against 0.95 with three; and a class's
    # lone samples in a language drew a third of the view's false flags: known documents flagged
    # 1.3-1.6 points less in four groups of draws (3.1 -> 1.8 % on seeds 0-1), left-out kinds to
    # review -0.028 to +0.008 (left-out receipts read as an invoice class with one or two
    # English invoices are what it misses more; bench/language_healing.py,
    # bench/unknown_fewshot.py, docs/quality.md, 2026-12-04). Five since 2026-12-06, with the
    # limit counted over the languages the view speaks on (below): a class holding a language by
    # three or four samples drew most of the closed set's false flags at 30 samples a class.
    # 1: the rule of recipes stored before it.
    wording_language_samples: int = 5
    # Where the class gate is silent but the document's language is one some of the workflow's
    # samples are in, the wording view's verdict counts when outlier exposure leans at least this
    # far towards its limit (the background's probability over the limit): a known class met in
    # a new language sits inside its class and is let through, a kind no class is and worded like
    # none of the language's samples is caught. On real documents at 15 samples a class
    # (docs/quality.md, 2026-12-04): left-out kinds to review 0.856 -> 0.893 at 1.8 -> 2.6 % of
    # known documents flagged on seeds 0-1 (chosen on them, 0.25-0.85 tried), 0.88 -> 0.93,
    # 0.83 -> 0.91, 0.81 -> 0.87 on three held-out groups at +0.7 to +1.1 points flagged;
    # German-trained manual pages in other languages routed right 0.922 as before. 0: off, the
    # rule of recipes stored before it; the workflow gate speaks there anyway.
    wording_corroboration: float = 0.5
    # The lean read instead of outlier exposure's where this is above 0: how similar the most
    # similar background document is to the document, over how similar its most similar sample
    # of its predicted class is (`nearest_background_lean`). Outlier exposure's one line through
    # the embedding reads a German invoice taken for an English-trained receipt class as that
    # class; the nearest background documents lie about as close as the nearest receipt. On real
    # documents at 15 samples a class (docs/quality.md, 2026-12-06): left-out kinds to review /
    # known flagged 0.893 / 0.026 -> 0.938 / 0.028 on seeds 0-1 (chosen on them: 0.55-0.85
    # tried), 0.917 / 0.035 -> 0.922 / 0.036, 0.906 / 0.041 -> 0.916 / 0.038 and 0.861 / 0.031
    # -> 0.913 / 0.033 on three held-out groups; German-trained manual pages in other languages
    # routed right 0.922 as before. 0: outlier exposure's lean, the rule of recipes stored before.
    wording_nearest_lean: float = 0.6
    # The languages that open the corroborated view on a class: "other", those of the other
    # classes' samples; "workflow", those of any sample, the class's own one or two included (the
    # rule of recipes stored before 2026-12-06). A reviewer's first answer in a new language
    # joins the samples: under "workflow" it opened the view on the class's next documents in
    # that language, and sent some of them to review that the rest of the rule let through.
    wording_corroboration_languages: CorroborationLanguages = "other"
    # Which held-out samples the class gate's limit is set over: those whose class holds their
    # language `wording_language_samples` times in its samples of the other folds ("folds"), or
    # in all its samples ("samples": the languages the trained view speaks on; a class holding a
    # language by three or four samples is judged by the view, but its held-out samples there
    # are left out of the limit under "folds", the rule of recipes stored before 2026-12-06).
    # With the count of five, on real documents (bench/quality.py, docs/quality.md, 2026-12-06
    # ~08:20): the closed set at 30 samples a class 5.4 -> 3.1 % known flagged (seeds 0-1) and
    # 4.5 -> 3.9 % (seeds 2-3); left-out kinds to review / known flagged at 15 0.93 / 0.026 ->
    # 0.93 / 0.024 and 0.93 / 0.030 -> 0.92 / 0.030, at 30 0.91 / 0.036 -> 0.91 / 0.029 and
    # 0.90 / 0.045 -> 0.90 / 0.039; with the count at three instead the left-out catch at 15 fell
    # to 0.91-0.92.
    wording_language_count_over: LanguageCountOver = "samples"


@dataclass(frozen=True, eq=False)
class BackgroundRule:
    """Outlier exposure: softmax(unit embedding @ coef.T + intercept) over the model's classes
    and, last, the background class; unknown when the background's probability > threshold."""

    coef: F32  # (n_classes + 1, embedding_dim)
    intercept: F32  # (n_classes + 1,)
    threshold: float
    background: str  # digest of the background set it was fitted with
    # The background documents' unit embeddings (the whole set, rows a class claims too), for
    # the nearest-background lean; None where the model reads outlier exposure's lean.
    documents: F32 | None = None

    def probability(self, embeddings: npt.NDArray[np.floating]) -> F32:
        """The background class's probability for each row."""
        logits = unit_rows(np.atleast_2d(embeddings)) @ self.coef.T + self.intercept
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits.astype(np.float64))
        return np.asarray(exp[:, -1] / exp.sum(axis=1), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class UnknownRule:
    """Per class and view, the distance above which a document predicted as that class is unknown.

    ``thresholds`` has shape (2, n_classes): row 0 the embedding view, row 1 the TF-IDF view.
    ``centroids`` has shape (n_classes, n_terms): unit mean TF-IDF row of each class.
    """

    k: int
    thresholds: F32
    centroids: F32
    tfidf_block: int  # which of the model's TF-IDF blocks the tfidf view reads
    # Outlier exposure, when the model was trained with it (None before, or without the view).
    background: BackgroundRule | None = None
    # The wording view, which decides where it speaks (None before it, or without it).
    wording: WordingRule | None = None


@dataclass(frozen=True)
class UnknownVerdict:
    """The decision for one document and the distance that decided it."""

    unknown: bool
    view: str  # the view with the largest distance / threshold ratio
    distance: float
    threshold: float
    # The wording view outside its class's languages: the lean that let it speak (outlier
    # exposure's: the background's probability over its limit; or the nearest background
    # document's similarity over the nearest sample's, `nearest`).
    lean: float | None = None
    nearest: bool = False

    @property
    def reason(self) -> str:
        """One sentence a reviewer can read."""
        if self.view == WORDING and self.lean is not None:
            leaning = (
                f"a background document (real documents of kinds no class was trained on) as similar to "
                f"it as {self.lean:.2f} of its most similar sample of the class"
                if self.nearest
                else f"the background documents' probability at {self.lean:.2f} of its limit"
            )
            return (
                "worded like none of the workflow's samples in its language, which its predicted "
                f"class has too few samples in: novelty {self.distance:.2f} of its character n-grams, "
                f"above the limit {self.threshold:.2f}; and {leaning}"
            )
        if self.view == WORDING:
            verb = "above" if self.unknown else "within"
            return (
                f"{'worded like none of the classes' if self.unknown else 'worded like a trained class'}"
                f" in its language: novelty {self.distance:.2f} of its character n-grams under the"
                f" classes' samples, {verb} the limit {self.threshold:.2f}"
            )
        if self.view == BACKGROUND:
            verb = "above" if self.unknown else "within"
            return (
                f"{'looks like none of the classes' if self.unknown else 'looks like a trained class'}: "
                f"{self.distance:.2f} probability of the background documents (real documents of "
                f"kinds no class was trained on), {verb} the limit {self.threshold:.2f}"
            )
        verb = "exceeds" if self.unknown else "is within"
        return (
            f"{self.view} distance {self.distance:.3f} to the predicted class {verb} "
            f"that class's threshold {self.threshold:.3f}"
        )


def class_knn_distance(
    queries: npt.NDArray[np.floating],
    reference: npt.NDArray[np.floating],
    reference_labels: npt.NDArray[np.int64],
    classes: npt.NDArray[np.int64],
    k: int,
) -> F32:
    """1 - mean cosine similarity of each query to the k nearest reference rows of its class."""
    sims = unit_rows(queries) @ unit_rows(reference).T
    out = np.ones(len(sims), dtype=np.float32)
    for i, c in enumerate(classes):
        row = sims[i, reference_labels == c]
        if len(row):
            kk = min(k, len(row))
            out[i] = 1.0 - float(np.partition(row, len(row) - kk)[-kk:].mean())
    return out


def nearest_background_lean(
    queries: npt.NDArray[np.floating],
    background: npt.NDArray[np.floating],
    reference: npt.NDArray[np.floating],
    reference_labels: npt.NDArray[np.int64],
    classes: npt.NDArray[np.int64],
) -> F32:
    """Each query's cosine to its most similar background row over its cosine to the most similar
    reference row of its class (0 where the class has none or the background is empty)."""
    units = unit_rows(queries)
    if not len(background):
        return np.zeros(len(units), dtype=np.float32)
    to_background = (units @ unit_rows(background).T).max(axis=1)
    sims = units @ unit_rows(reference).T
    out = np.zeros(len(units), dtype=np.float32)
    for i, c in enumerate(classes):
        row = sims[i, reference_labels == c]
        if len(row) and row.max() > 0:
            out[i] = to_background[i] / row.max()
    return out


def centroid_distance(rows: npt.NDArray[np.floating], centroids: F32, classes: npt.NDArray[np.int64]) -> F32:
    """1 - cosine similarity of each row to its class's (unit) centroid."""
    units = unit_rows(rows)
    return np.asarray(1.0 - np.einsum("ij,ij->i", units, centroids[classes]), dtype=np.float32)


def fit_unknown_rule(
    embeddings: npt.NDArray[np.floating],
    tfidf_rows: Any,
    labels: npt.NDArray[np.int64],
    n_classes: int,
    *,
    tfidf_block: int,
    config: UnknownConfig | None = None,
) -> UnknownRule:
    """Set each class's thresholds from its training samples' leave-one-out distances.

    `tfidf_rows` may be dense or a `scipy.sparse` matrix (the trainer's are sparse).
    """
    config = config or UnknownConfig()
    margin = config.margin_beside_background if BACKGROUND in config.views else config.margin
    emb, tf = unit_rows(embeddings), _sparse_unit_rows(tfidf_rows)
    thresholds = np.ones((2, n_classes), dtype=np.float32)
    centroids = np.zeros((n_classes, tf.shape[1]), dtype=np.float32)
    dup_emb, dup_tf = config.duplicate_similarity
    spreads = np.zeros((2, n_classes), dtype=np.float64)
    counts = np.zeros(n_classes)
    pooled: list[list[float]] = [[], []]
    for c in range(n_classes):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            continue
        centroids[c] = unit_rows(np.asarray(tf[members].sum(axis=0)).ravel())[0]
        if len(members) < 2:
            continue  # one sample: no spread to measure; threshold 1 never flags
        loo_e = _leave_one_out_knn(emb[members], config.k, dup_emb)
        # The TF-IDF spread only sets that view's threshold: not computed while it cannot flag.
        loo_t = _leave_one_out_centroid(tf[members], dup_tf) if VIEWS[1] in config.views else [0.0]
        spreads[:, c] = max(loo_e), max(loo_t)
        counts[c] = len(members)
        pooled[0] += loo_e
        pooled[1] += loo_t
    for view in range(2):
        if not pooled[view]:
            continue
        prior = float(np.quantile(pooled[view], config.prior_quantile))
        for c in np.flatnonzero(counts >= 2):
            w = counts[c] / (counts[c] + config.prior_samples)
            spread = w * spreads[view, c] + (1 - w) * prior
            thresholds[view, c] = min(1.0, spread * margin) if VIEWS[view] in config.views else 1.0
    # The artifact stores centroids as float16: round now so a fresh model decides as a loaded one.
    centroids = centroids.astype(np.float16).astype(np.float32)
    return UnknownRule(k=config.k, thresholds=thresholds, centroids=centroids, tfidf_block=tfidf_block)


def _leave_one_out_knn(units: F32, k: int, duplicate: float) -> list[float]:
    """Per sample of one class: 1 - mean similarity to its k nearest others, near-duplicates
    (above `duplicate`) skipped unless they are all there is."""
    sims = units @ units.T
    out = []
    for j in range(len(units)):
        row = np.delete(sims[j], j)
        row = row[row <= duplicate] if (row <= duplicate).any() else row
        kk = min(k, len(row))
        out.append(1.0 - float(np.sort(row)[-kk:].mean()))
    return out


def _leave_one_out_centroid(units: Any, duplicate: float) -> list[float]:
    """Per sample of one class: 1 - cosine similarity to the centroid of the others (sparse
    unit rows), near-duplicates (above `duplicate`) left out unless they are all there is.

    From the class's Gram matrix alone: the centroid of "all but the excluded E" has squared
    length total - 2 * (row sums over E) + (the E x E block), so no sample's sum of rows is
    rebuilt over the vocabulary (that made training cubic in the samples of a class).
    """
    sims = np.asarray((units @ units.T).toarray(), dtype=np.float32)
    gram = sims.astype(np.float64)
    row_sums = gram.sum(axis=1)
    total = float(row_sums.sum())
    out = []
    for j in range(len(gram)):
        keep = np.ones(len(gram), dtype=bool)
        keep[j] = False
        others = keep & (sims[j] <= duplicate)
        others = others if others.any() else keep
        excluded = np.flatnonzero(~others)
        if len(excluded) <= len(gram) // 2:
            length2 = total - 2 * row_sums[excluded].sum() + gram[np.ix_(excluded, excluded)].sum()
            dot = row_sums[j] - gram[j, excluded].sum()
        else:
            kept = np.flatnonzero(others)
            length2, dot = gram[np.ix_(kept, kept)].sum(), gram[j, kept].sum()
        out.append(1.0 - float(dot / np.sqrt(length2)) if length2 > 1e-12 else 1.0)
    return out


def _sparse_unit_rows(rows: Any) -> Any:
    """`unit_rows` for a dense or sparse matrix, as a float32 `scipy.sparse.csr_array`."""
    matrix = sparse.csr_array(rows, dtype=np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.csr_array(
        sparse.diags_array(1.0 / np.where(norms > 0, norms, 1.0)) @ matrix, dtype=np.float32
    )


def unknown_ratios(
    rule: UnknownRule,
    embeddings: npt.NDArray[np.floating],
    tfidf_rows: npt.NDArray[np.floating],
    predicted: npt.NDArray[np.int64],
    training_embeddings: npt.NDArray[np.floating],
    training_labels: npt.NDArray[np.int64],
) -> tuple[F32, F32]:
    """Distances (n, 2) to the predicted class per view, and their ratio to its thresholds."""
    distances = np.stack(
        [
            class_knn_distance(embeddings, training_embeddings, training_labels, predicted, rule.k),
            centroid_distance(tfidf_rows, rule.centroids, predicted),
        ],
        axis=1,
    )
    limits = rule.thresholds[:, predicted].T
    return distances, np.asarray(distances / np.maximum(limits, 1e-6), dtype=np.float32)


def verdicts(
    distances: F32,
    ratios: F32,
    thresholds: F32,
    background: BackgroundRule | None = None,
    probabilities: F32 | None = None,
) -> list[UnknownVerdict]:
    """One verdict per row: unknown when any view's distance exceeds its threshold, or when the
    background class's probability (`probabilities`, from `background`) exceeds its limit. The
    verdict names the view that flagged (the furthest past its limit); when none did, the
    background view if the model has one, else the distance view nearest to its limit."""
    out = []
    for i, (d, r, t) in enumerate(zip(distances, ratios, thresholds, strict=True)):
        view = int(np.argmax(r))
        verdict = UnknownVerdict(bool(r[view] > 1.0), VIEWS[view], float(d[view]), float(t[view]))
        if background is not None and probabilities is not None:
            p = float(probabilities[i])
            by_background = UnknownVerdict(p > background.threshold, BACKGROUND, p, background.threshold)
            if not verdict.unknown or (by_background.unknown and p / background.threshold > r[view]):
                verdict = by_background
        out.append(verdict)
    return out


def with_wording(
    found: list[UnknownVerdict],
    rule: WordingRule | None,
    texts: Sequence[str],
    classes: npt.NDArray[np.integer],
    lean_of: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.floating]] | None = None,
) -> list[UnknownVerdict]:
    """`found` with the wording view's verdict wherever it speaks (the document's language is one
    its predicted class's samples are in), and its flag where it speaks corroborated (another
    class's language, the lean of those rows, `lean_of`, at least the rule's lean: the nearest
    background document's similarity over the nearest sample's where the rule reads it,
    `nearest_lean`, else outlier exposure's probability over its limit); the other views'
    verdicts stand elsewhere. The lean is read only for the rows where the view may speak
    corroborated."""
    if rule is None or not len(found):
        return found
    languages = languages_of(texts)
    speaks = rule.speaks(languages, classes)
    may = rule.corroborates(languages, classes)
    lean = np.zeros(len(found), dtype=np.float64)
    if lean_of is not None and may.any():
        rows = np.flatnonzero(may)
        lean[rows] = lean_of(rows)
    wider = may & (lean >= (rule.nearest_lean or rule.lean))
    picked = np.flatnonzero(speaks | wider)
    if not len(picked):
        return found
    novelty = rule.novelty(wording_counts([texts[i] for i in picked]))
    out = list(found)
    for i, n in zip(picked, novelty, strict=True):
        if speaks[i]:
            out[i] = UnknownVerdict(bool(n > rule.limit), WORDING, float(n), rule.limit)
        elif n > rule.wider_limit:
            nearest = rule.nearest_lean > 0
            out[i] = UnknownVerdict(True, WORDING, float(n), rule.wider_limit, float(lean[i]), nearest)
    return out
