"""The trained classifier: linear weights over [embedding | TF-IDF blocks], temperature-scaled.

A model is plain data. `save()` writes two files, `model.safetensors` (arrays) and `model.json`
(everything else); nothing is pickled, so loading a model runs no code from the artifact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse

from docroute.classifier.artifact import decode_artifact, encode_artifact, finite_array, string_list
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
from docroute.classifier.unknown_storage import (
    UNKNOWN_RULE_ARRAYS,
    read_unknown_rule,
    unknown_rule_arrays,
    unknown_rule_fits,
    unknown_rule_settings,
)

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
            arrays.update(unknown_rule_arrays(self.unknown_rule))
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
            "unknown_rule": None if self.unknown_rule is None else unknown_rule_settings(self.unknown_rule),
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
                    vocabulary=string_list(block["vocabulary"]),
                    idf=_float64(arrays[f"tfidf.{i}.idf"]),
                )
                for i, block in enumerate(meta["tfidf"])
            )
            extra = sorted(set(arrays) - _array_names(len(tfidf)) - UNKNOWN_RULE_ARRAYS)
            if extra:
                raise NewerModelError(f"arrays this release does not know in the artifact: {extra}")
            return cls(
                labels=string_list(meta["labels"]),
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
                training_sample_ids=string_list(meta["training_sample_ids"]),
                training_labels=string_list(meta["training_labels"]),
                unknown_threshold=float(meta["unknown_threshold"]),
                version=str(meta["version"]),
                created_at=str(meta["created_at"]),
                novelty_k=int(meta["novelty_k"]),
                unknown_rule=read_unknown_rule(meta.get("unknown_rule"), arrays),
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
            (finite_array(self.coef, np.float32, (n_classes, self.n_features)), "bad coef"),
            (finite_array(self.intercept, np.float32, (n_classes,)), "bad intercept"),
            (np.isfinite(self.temperature) and self.temperature > 0, "temperature must be > 0"),
            (
                finite_array(self.training_embeddings, np.float16, (n_train, dim)),
                "bad training_embeddings",
            ),
            (len(self.training_labels) == n_train, "one training label per sample"),
            (set(self.training_labels) <= set(self.labels), "training label outside labels"),
            (len(set(self.training_sample_ids)) == n_train, "training sample ids not unique"),
            (bool(np.isfinite(self.unknown_threshold)), "unknown_threshold is not finite"),
            (self.novelty_k >= 1, "novelty_k must be >= 1"),
            (
                unknown_rule_fits(self.unknown_rule, n_classes, [state.size for state in self.tfidf], dim),
                "unknown_rule does not fit the labels or TF-IDF blocks",
            ),
            (_is_timestamp(self.created_at), "created_at is not an ISO 8601 timestamp"),
            (bool(self.version), "version is empty"),
        ]
        for ok, message in checks:
            if not ok:
                raise ModelArtifactError(f"invalid classifier model: {message}")


def _float64(value: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Return idf as float64, refusing other dtypes rather than silently converting."""
    if value.dtype != np.float64 or value.ndim != 1 or not np.isfinite(value).all():
        raise ModelArtifactError(f"idf must be finite 1-D float64, got {value.dtype}{value.shape}")
    return value


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
