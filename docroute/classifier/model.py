"""The trained classifier: linear weights over [embedding | TF-IDF blocks], temperature-scaled.

A model is plain data. `save()` writes two files, `model.safetensors` (arrays) and `model.json`
(everything else); nothing is pickled, so loading a model runs no code from the artifact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from scipy import sparse

from docroute.classifier.artifact import decode_artifact, encode_artifact
from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.classifier.features import TfidfConfig, TfidfState, count_terms
from docroute.classifier.novelty import cosine_similarities, novelty_scores
from docroute.classifier.openset import (
    BackgroundRule,
    UnknownRule,
    UnknownVerdict,
    nearest_background_lean,
    unknown_ratios,
    verdicts,
    with_wording,
)
from docroute.classifier.wording import WORDING_GATES, WordingGate, WordingRule

F32 = npt.NDArray[np.float32]
# Term counts per TF-IDF block (in `ClassifierModel.tfidf` order), one Counter per text.
BlockCounts = Sequence[Sequence[Counter[str]]]


@dataclass(frozen=True)
class FeatureLayout:
    """Feature order and block weights: embedding first, then each TF-IDF block in order."""

    embedding_dim: int
    embedding_weight: float
    tfidf_weights: tuple[float, ...]


class Neighbour(NamedTuple):
    """A training sample close to a document."""

    sample_id: str
    label: str
    similarity: float


def assemble_features(
    embeddings: npt.NDArray[np.floating], tfidf_rows: Sequence[Any], layout: FeatureLayout
) -> Any:
    """Concatenate the weighted blocks into a float32 `scipy.sparse.csr_array`; training and
    prediction both build features here.

    Sparse because a dense row is as wide as the vocabulary, which grows with the training set,
    while a document has a few thousand terms: dense rows made training quadratic in the samples.
    """
    blocks = [
        sparse.csr_array(np.asarray(embeddings, dtype=np.float32) * np.float32(layout.embedding_weight))
    ]
    blocks += [
        sparse.csr_array(rows, dtype=np.float32) * np.float32(weight)
        for rows, weight in zip(tfidf_rows, layout.tfidf_weights, strict=True)
    ]
    return sparse.hstack(blocks, format="csr", dtype=np.float32)


def softmax(logits: npt.NDArray[np.floating]) -> F32:
    """Row-wise softmax, shifted by the row maximum so large logits do not overflow."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(z / z.sum(axis=1, keepdims=True), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class ClassifierModel:
    """A trained, calibrated document classifier for one workflow.

    Usage::

        probs = model.predict_proba(texts, embedder.embed(texts))   # (n, len(model.labels))
        files = model.save(); same = ClassifierModel.load(files)
    """

    labels: tuple[str, ...]
    embedder_id: str
    coef: F32
    intercept: F32
    temperature: float
    tfidf: tuple[TfidfState, ...]
    layout: FeatureLayout
    training_embeddings: npt.NDArray[np.float16]
    training_sample_ids: tuple[str, ...]
    training_labels: tuple[str, ...]
    unknown_threshold: float
    version: str
    created_at: str
    novelty_k: int = 3
    # Per-class thresholds (docroute.classifier.openset); None in artifacts trained before them,
    # which keep the single global `unknown_threshold` on `novelty`.
    unknown_rule: UnknownRule | None = None

    def __post_init__(self) -> None:
        self._validate()

    @property
    def n_features(self) -> int:
        """Length of the feature vector the weights expect."""
        return self.layout.embedding_dim + sum(state.size for state in self.tfidf)

    def term_counts(self, texts: Sequence[str]) -> BlockCounts:
        """Each TF-IDF block's term counts of `texts`, blocks in `tfidf` order.

        Analysing a text is most of a prediction's own work (character n-grams in Python); a
        caller that needs more than the probabilities (the unknown rule, the explanation) counts
        once here and passes the counts to each, rather than each analysing the text again.
        """
        return [count_terms(texts, state.config) for state in self.tfidf]

    def features(
        self,
        texts: Sequence[str],
        embeddings: npt.NDArray[np.floating],
        counts: BlockCounts | None = None,
    ) -> Any:
        """Build the weighted feature matrix (`scipy.sparse.csr_array`) for `texts` and embeddings;
        `counts`: `term_counts(texts)` when the caller has them."""
        embeddings = np.asarray(embeddings)
        if embeddings.shape != (len(texts), self.layout.embedding_dim):
            raise ValueError(
                f"embeddings have shape {embeddings.shape}, expected "
                f"({len(texts)}, {self.layout.embedding_dim}) from {self.embedder_id}"
            )
        counts = self.term_counts(texts) if counts is None else counts
        rows = [state.sparse_rows(block) for state, block in zip(self.tfidf, counts, strict=True)]
        return assemble_features(embeddings, rows, self.layout)

    def logits(
        self,
        texts: Sequence[str],
        embeddings: npt.NDArray[np.floating],
        counts: BlockCounts | None = None,
    ) -> F32:
        """Return uncalibrated logits, shape (n, n_classes)."""
        features = self.features(texts, embeddings, counts)
        return np.asarray(features @ self.coef.T + self.intercept, dtype=np.float32)

    def predict_proba(
        self,
        texts: Sequence[str],
        embeddings: npt.NDArray[np.floating],
        counts: BlockCounts | None = None,
    ) -> F32:
        """Return calibrated probabilities softmax(logits / T), columns in `labels` order."""
        return softmax(self.logits(texts, embeddings, counts) / self.temperature)

    def novelty(self, embeddings: npt.NDArray[np.floating]) -> F32:
        """Return 1 - mean cosine similarity to the k nearest training documents, per row.

        A document scoring above `unknown_threshold` looks like none of the training samples.
        """
        return novelty_scores(np.atleast_2d(embeddings), self.training_embeddings, self.novelty_k)

    def unknown_verdicts(
        self,
        texts: Sequence[str],
        embeddings: npt.NDArray[np.floating],
        predicted: npt.NDArray[np.integer] | None = None,
        counts: BlockCounts | None = None,
    ) -> list[UnknownVerdict]:
        """Whether each document is of a kind never trained on, and the distance that decided it.

        `predicted` are the predicted class indexes (computed when omitted); `counts` as for
        `features`.
        """
        embeddings = np.atleast_2d(embeddings)
        if self.unknown_rule is None:
            novelty = self.novelty(embeddings)
            return [
                UnknownVerdict(
                    bool(n > self.unknown_threshold), "embedding", float(n), self.unknown_threshold
                )
                for n in novelty
            ]
        if self.tfidf and counts is None:
            counts = self.term_counts(texts)
        if predicted is None:
            predicted = self.predict_proba(texts, embeddings, counts).argmax(axis=1)
        classes = np.asarray(predicted, dtype=np.int64)
        rule = self.unknown_rule
        rows = (
            self.tfidf[rule.tfidf_block].transform_counts(counts[rule.tfidf_block])
            if self.tfidf and counts is not None
            else np.zeros((len(texts), 1))
        )
        training_labels = np.array(
            [self.labels.index(label) for label in self.training_labels], dtype=np.int64
        )
        distances, ratios = unknown_ratios(
            rule, embeddings, rows, classes, self.training_embeddings.astype(np.float32), training_labels
        )
        background = rule.background
        probabilities: npt.NDArray[np.float32] | None = None
        lean_of: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.floating]] | None = None
        if background is not None:
            probabilities = background.probability(embeddings)
            lean_of = _lean_of(
                rule,
                background,
                probabilities,
                embeddings,
                self.training_embeddings,
                training_labels,
                classes,
            )
        found = verdicts(distances, ratios, rule.thresholds[:, classes].T, background, probabilities)
        return with_wording(found, rule.wording, texts, classes, lean_of)

    def nearest_samples(self, embeddings: npt.NDArray[np.floating], k: int = 5) -> list[list[Neighbour]]:
        """Return the `k` most similar training samples for each embedding row, closest first."""
        sims = cosine_similarities(np.atleast_2d(embeddings), self.training_embeddings)
        order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return [
            [Neighbour(self.training_sample_ids[j], self.training_labels[j], float(row[j])) for j in idx]
            for row, idx in zip(sims, order, strict=True)
        ]

    def without_samples(self, sample_ids: Collection[str]) -> ClassifierModel:
        """This model with those training samples forgotten (deleted documents): their rows
        leave the embeddings behind nearest samples and the "unknown" distance. The weights keep
        what they learnt until the next training. Returns `self` when it holds none of them."""
        keep = [i for i, s in enumerate(self.training_sample_ids) if s not in sample_ids]
        if len(keep) == len(self.training_sample_ids):
            return self
        return replace(
            self,
            training_embeddings=self.training_embeddings[keep],
            training_sample_ids=tuple(self.training_sample_ids[i] for i in keep),
            training_labels=tuple(self.training_labels[i] for i in keep),
        )

    def save(self) -> dict[str, bytes]:
        """Return the artifact files: `model.safetensors` and `model.json`."""
        arrays: dict[str, npt.NDArray[Any]] = {
            "coef": self.coef,
            "intercept": self.intercept,
            "training_embeddings": self.training_embeddings,
        }
        arrays.update({f"tfidf.{i}.idf": state.idf for i, state in enumerate(self.tfidf)})
        if self.unknown_rule is not None:
            arrays["unknown.thresholds"] = self.unknown_rule.thresholds
            arrays["unknown.centroids"] = self.unknown_rule.centroids.astype(np.float16)
            if self.unknown_rule.background is not None:
                arrays["unknown.background.coef"] = self.unknown_rule.background.coef
                arrays["unknown.background.intercept"] = self.unknown_rule.background.intercept
                if self.unknown_rule.background.documents is not None:
                    documents = self.unknown_rule.background.documents.astype(np.float16)
                    arrays[_BACKGROUND_DOCUMENTS] = documents
            if self.unknown_rule.wording is not None:
                arrays.update(_wording_arrays(self.unknown_rule.wording))
        metadata = {
            "labels": list(self.labels),
            "embedder_id": self.embedder_id,
            "temperature": self.temperature,
            "layout": {
                "embedding_dim": self.layout.embedding_dim,
                "embedding_weight": self.layout.embedding_weight,
                "tfidf_weights": list(self.layout.tfidf_weights),
            },
            "tfidf": [
                {"config": state.config.to_dict(), "vocabulary": list(state.vocabulary)}
                for state in self.tfidf
            ],
            "training_sample_ids": list(self.training_sample_ids),
            "training_labels": list(self.training_labels),
            "unknown_threshold": self.unknown_threshold,
            "novelty_k": self.novelty_k,
            "unknown_rule": None
            if self.unknown_rule is None
            else {
                "k": self.unknown_rule.k,
                "tfidf_block": self.unknown_rule.tfidf_block,
                **_background_settings(self.unknown_rule.background),
                **_wording_settings(self.unknown_rule.wording),
            },
            "version": self.version,
            "created_at": self.created_at,
        }
        return encode_artifact(arrays, metadata)

    @classmethod
    def load(cls, files: Mapping[str, bytes]) -> ClassifierModel:
        """Rebuild a model from `save()` output.

        :raises ModelArtifactError: when a file is missing, malformed or inconsistent.
        """
        arrays, meta = decode_artifact(files)
        try:
            layout = meta["layout"]
            tfidf = tuple(
                TfidfState(
                    config=TfidfConfig.from_dict(block["config"]),
                    vocabulary=_strings(block["vocabulary"]),
                    idf=_float64(arrays[f"tfidf.{i}.idf"]),
                )
                for i, block in enumerate(meta["tfidf"])
            )
            extra = sorted(
                set(arrays)
                - _array_names(len(tfidf))
                - _UNKNOWN_ARRAYS
                - _BACKGROUND_ARRAYS
                - {_BACKGROUND_DOCUMENTS}
                - _WORDING_ARRAYS
            )
            if extra:
                raise NewerModelError(f"arrays this release does not know in the artifact: {extra}")
            return cls(
                labels=_strings(meta["labels"]),
                embedder_id=str(meta["embedder_id"]),
                coef=arrays["coef"],
                intercept=arrays["intercept"],
                temperature=float(meta["temperature"]),
                tfidf=tfidf,
                layout=FeatureLayout(
                    embedding_dim=int(layout["embedding_dim"]),
                    embedding_weight=float(layout["embedding_weight"]),
                    tfidf_weights=tuple(float(w) for w in layout["tfidf_weights"]),
                ),
                training_embeddings=arrays["training_embeddings"],
                training_sample_ids=_strings(meta["training_sample_ids"]),
                training_labels=_strings(meta["training_labels"]),
                unknown_threshold=float(meta["unknown_threshold"]),
                version=str(meta["version"]),
                created_at=str(meta["created_at"]),
                novelty_k=int(meta["novelty_k"]),
                unknown_rule=_unknown_rule(meta.get("unknown_rule"), arrays),
            )
        except ModelArtifactError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelArtifactError(f"malformed model artifact: {exc!r}") from exc

    def _validate(self) -> None:
        """Check every invariant predict_proba relies on; raises ModelArtifactError."""
        n_classes, n_train = len(self.labels), len(self.training_sample_ids)
        dim = self.layout.embedding_dim
        checks = [
            (n_classes >= 2, "a model needs at least 2 labels"),
            (len(set(self.labels)) == n_classes, "labels are not unique"),
            (all(isinstance(x, str) and x for x in self.labels), "labels must be non-empty text"),
            (bool(self.embedder_id), "embedder_id is empty"),
            (dim > 0, "embedding_dim must be positive"),
            (len(self.layout.tfidf_weights) == len(self.tfidf), "one weight per TF-IDF block"),
            (_finite_array(self.coef, np.float32, (n_classes, self.n_features)), "bad coef"),
            (_finite_array(self.intercept, np.float32, (n_classes,)), "bad intercept"),
            (np.isfinite(self.temperature) and self.temperature > 0, "temperature must be > 0"),
            (
                _finite_array(self.training_embeddings, np.float16, (n_train, dim)),
                "bad training_embeddings",
            ),
            (len(self.training_labels) == n_train, "one training label per sample"),
            (set(self.training_labels) <= set(self.labels), "training label outside labels"),
            (len(set(self.training_sample_ids)) == n_train, "training sample ids not unique"),
            (bool(np.isfinite(self.unknown_threshold)), "unknown_threshold is not finite"),
            (self.novelty_k >= 1, "novelty_k must be >= 1"),
            (self._unknown_rule_fits(), "unknown_rule does not fit the labels or TF-IDF blocks"),
            (_is_timestamp(self.created_at), "created_at is not an ISO 8601 timestamp"),
            (bool(self.version), "version is empty"),
        ]
        for ok, message in checks:
            if not ok:
                raise ModelArtifactError(f"invalid classifier model: {message}")

    def _unknown_rule_fits(self) -> bool:
        """True without a rule, or when its arrays match the labels and its TF-IDF block."""
        rule = self.unknown_rule
        if rule is None:
            return True
        terms = self.tfidf[rule.tfidf_block].size if rule.tfidf_block < len(self.tfidf) else 1
        background = rule.background
        dim = self.layout.embedding_dim
        return (
            rule.k >= 1
            and (
                background is None
                or (
                    _finite_array(background.coef, np.float32, (len(self.labels) + 1, dim))
                    and _finite_array(background.intercept, np.float32, (len(self.labels) + 1,))
                    and 0.0 < background.threshold < 1.0
                    and (
                        background.documents is None
                        or (
                            background.documents.ndim == 2
                            and background.documents.shape[1] == dim
                            and bool(np.isfinite(background.documents).all())
                        )
                    )
                )
            )
            and (rule.wording is None or rule.wording.fits(len(self.labels)))
            and 0 <= rule.tfidf_block < max(1, len(self.tfidf))
            and _finite_array(rule.thresholds, np.float32, (2, len(self.labels)))
            and isinstance(rule.centroids, np.ndarray)
            and rule.centroids.shape == (len(self.labels), terms)
            and bool(np.isfinite(rule.centroids).all())
        )


def _finite_array(value: object, dtype: type[np.generic], shape: tuple[int, ...]) -> bool:
    """True if `value` is a finite ndarray of exactly this dtype and shape."""
    return (
        isinstance(value, np.ndarray)
        and value.dtype == dtype
        and value.shape == shape
        and bool(np.isfinite(value).all())
    )


def _strings(value: object) -> tuple[str, ...]:
    """Return a JSON list of strings as a tuple; anything else is malformed."""
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ModelArtifactError(f"expected a list of strings, got {type(value).__name__}")
    return tuple(value)


def _float64(value: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Return idf as float64, refusing other dtypes rather than silently converting."""
    if value.dtype != np.float64 or value.ndim != 1 or not np.isfinite(value).all():
        raise ModelArtifactError(f"idf must be finite 1-D float64, got {value.dtype}{value.shape}")
    return value


_UNKNOWN_ARRAYS = {"unknown.thresholds", "unknown.centroids"}
_BACKGROUND_ARRAYS = {"unknown.background.coef", "unknown.background.intercept"}
# Only in models whose wording view leans by the nearest background document (since 2026-12-06):
# a release before it refuses such a model (NewerModelError) and serves the version it has.
_BACKGROUND_DOCUMENTS = "unknown.background.documents"
_WORDING_ARRAYS = {"unknown.wording.vocabulary", "unknown.wording.ratios", "unknown.wording.unseen"}
# The wording view's n-grams, stored as one UTF-8 array: they hold no line break (n-grams stay
# inside words), so a line break separates them.
_SEPARATOR = "\n"


def _background_settings(rule: BackgroundRule | None) -> dict[str, Any]:
    """The outlier-exposure rule's settings in model.json (absent: none, as before it existed)."""
    if rule is None:
        return {}
    return {"background": {"threshold": rule.threshold, "set": rule.background}}


def _wording_arrays(rule: WordingRule) -> dict[str, npt.NDArray[Any]]:
    joined = _SEPARATOR.join(rule.vocabulary).encode("utf-8")
    return {
        "unknown.wording.vocabulary": np.frombuffer(joined, dtype=np.uint8),
        "unknown.wording.ratios": rule.ratios,
        "unknown.wording.unseen": rule.unseen,
    }


def _wording_settings(rule: WordingRule | None) -> dict[str, Any]:
    """The wording view's settings in model.json (absent: none, as before it existed)."""
    if rule is None:
        return {}
    settings: dict[str, Any] = {"limit": rule.limit, "languages": [list(langs) for langs in rule.languages]}
    if rule.gate != "class":  # absent: the class gate, all there was before the setting
        settings["gate"] = rule.gate
    if rule.lean > 0:  # absent: no corroborated view, as before it (a release before it ignores it)
        settings["corroboration"] = {
            "languages": list(rule.wider_languages),
            "limit": rule.wider_limit,
            "lean": rule.lean,
        }
        if rule.nearest_lean > 0:  # absent: outlier exposure's lean (a release before it reads that)
            settings["corroboration"]["nearest_lean"] = rule.nearest_lean
        if rule.wider_by_class:  # absent: `languages` for every class (a release before it reads that)
            settings["corroboration"]["by_class"] = [list(langs) for langs in rule.wider_by_class]
    return {"wording": settings}


def _wording_rule(settings: object, arrays: Mapping[str, npt.NDArray[Any]]) -> WordingRule | None:
    if (settings is None) != (not _WORDING_ARRAYS & set(arrays)):
        raise ModelArtifactError("wording arrays and settings must come together")
    if settings is None:
        return None
    if not isinstance(settings, dict) or not set(arrays) >= _WORDING_ARRAYS:
        raise ModelArtifactError("malformed wording rule")
    raw = arrays["unknown.wording.vocabulary"]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelArtifactError("the wording vocabulary must be UTF-8 bytes")
    joined = raw.tobytes().decode("utf-8")
    vocabulary = tuple(joined.split(_SEPARATOR)) if joined else ()
    if list(vocabulary) != sorted(set(vocabulary)):
        raise ModelArtifactError("the wording vocabulary must be sorted and unique")
    languages = settings["languages"]
    if not isinstance(languages, list):
        raise ModelArtifactError("malformed wording languages")
    gate = settings.get("gate", "class")
    if not isinstance(gate, str):
        raise ModelArtifactError("malformed wording gate")
    if gate not in WORDING_GATES:
        raise NewerModelError(f"wording gate {gate!r} is not known to this release")
    corroboration = settings.get("corroboration", {"languages": [], "limit": 0.0, "lean": 0.0})
    if not isinstance(corroboration, dict) or not isinstance(corroboration.get("languages"), list):
        raise ModelArtifactError("malformed wording corroboration")
    by_class = corroboration.get("by_class", [])
    if not isinstance(by_class, list):
        raise ModelArtifactError("malformed wording corroboration languages")
    return WordingRule(
        vocabulary=vocabulary,
        ratios=arrays["unknown.wording.ratios"],
        unseen=arrays["unknown.wording.unseen"],
        languages=tuple(_strings(langs) for langs in languages),
        limit=float(settings["limit"]),
        gate=cast(WordingGate, gate),
        wider_languages=_strings(corroboration["languages"]),
        wider_limit=float(corroboration["limit"]),
        lean=float(corroboration["lean"]),
        nearest_lean=float(corroboration.get("nearest_lean", 0.0)),
        wider_by_class=tuple(_strings(langs) for langs in by_class),
    )


def _unknown_rule(meta: object, arrays: Mapping[str, npt.NDArray[Any]]) -> UnknownRule | None:
    """The per-class unknown rule of an artifact, or None for artifacts that predate it."""
    if meta is None:
        if (_UNKNOWN_ARRAYS | _BACKGROUND_ARRAYS | {_BACKGROUND_DOCUMENTS} | _WORDING_ARRAYS) & set(arrays):
            raise ModelArtifactError("unknown-rule arrays without their settings")
        return None
    if not isinstance(meta, dict):
        raise ModelArtifactError(f"malformed unknown_rule: {meta!r}")
    settings = meta.get("background")
    if (settings is None) != (not _BACKGROUND_ARRAYS & set(arrays)):
        raise ModelArtifactError("outlier-exposure arrays and settings must come together")
    background = None
    if settings is not None:
        documents = arrays.get(_BACKGROUND_DOCUMENTS)
        background = BackgroundRule(
            coef=arrays["unknown.background.coef"],
            intercept=arrays["unknown.background.intercept"],
            threshold=float(settings["threshold"]),
            background=str(settings["set"]),
            documents=None if documents is None else documents.astype(np.float32),
        )
    elif _BACKGROUND_DOCUMENTS in arrays:
        raise ModelArtifactError("background documents without outlier exposure")
    wording = _wording_rule(meta.get("wording"), arrays)
    unread = background is None or background.documents is None
    if wording is not None and wording.nearest_lean > 0 and unread:
        raise ModelArtifactError("the nearest-background lean needs the background documents")
    return UnknownRule(
        k=int(meta["k"]),
        thresholds=arrays["unknown.thresholds"],
        centroids=arrays["unknown.centroids"].astype(np.float32),
        tfidf_block=int(meta["tfidf_block"]),
        background=background,
        wording=wording,
    )


def _lean_of(
    rule: UnknownRule,
    background: BackgroundRule,
    probabilities: npt.NDArray[np.float32],
    embeddings: npt.NDArray[np.floating],
    training_embeddings: npt.NDArray[np.floating],
    training_labels: npt.NDArray[np.int64],
    classes: npt.NDArray[np.int64],
) -> Callable[[npt.NDArray[np.int64]], npt.NDArray[np.floating]]:
    """How far given rows lean towards the background, read only where the wording view may speak
    corroborated: the nearest background document's similarity over the nearest sample's where
    the rule reads it, else outlier exposure's probability over its limit."""
    documents = background.documents
    if rule.wording is not None and rule.wording.nearest_lean > 0 and documents is not None:
        return lambda rows: nearest_background_lean(
            embeddings[rows], documents, training_embeddings, training_labels, classes[rows]
        )
    return lambda rows: probabilities[rows] / np.float32(background.threshold)


def _array_names(n_tfidf: int) -> set[str]:
    """Names of the arrays a model with `n_tfidf` blocks stores."""
    return {"coef", "intercept", "training_embeddings"} | {f"tfidf.{i}.idf" for i in range(n_tfidf)}


def _is_timestamp(value: str) -> bool:
    """True if `value` parses as an ISO 8601 timestamp."""
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True
