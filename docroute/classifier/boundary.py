"""Where a new document begins in a stack of pages: the boundary model of `splitting: auto`.

Learnt from a workflow's own samples by the trainer and published beside the classifier in the
same version; applied by the OCR service to the pages of a stack it has read. Pure numpy, plain
data (`boundary.safetensors` + `boundary.json`, no pickle).

Each page is seen through the page models and each gap between two pages through its cues
(`docroute.classifier.boundary_cues`); the combiner weighs the cues into the odds that a page
begins a new document, and `docroute.classifier.division` divides the stack by them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import safetensors.numpy
from safetensors import SafetensorError

from docroute.classifier.boundary_cues import (
    EARLIER_FEATURES,
    FEATURES,
    PageModels,
    cue_columns,
    pair_features,
    settled,
    start_logits,
)
from docroute.classifier.division import (
    SHORT_PARTS,
    Division,
    LongParts,
    best_division,
    held_in_doubt,
    part_costs,
    part_probabilities,
    short_part_penalties,
    start_gains,
    text_amount,
    unlearnt_gaps,
)
from docroute.classifier.errors import ModelArtifactError
from docroute.classifier.features import TfidfConfig, TfidfState
from docroute.classifier.page_cues import (
    FORM,
    has_text,
)
from docroute.classifier.trees import ARRAY_NAMES as TREE_ARRAYS
from docroute.classifier.trees import Trees

F64 = npt.NDArray[np.float64]

ARRAYS_FILE = "boundary.safetensors"

METADATA_FILE = "boundary.json"

FORMAT = "docroute.boundary/1"


def read_metadata(raw: bytes) -> dict[str, Any]:
    """A boundary model's `boundary.json`, checked to be one this code reads (its format and cues:
    this release's or an earlier one's, EARLIER_FEATURES; a release with other cues cannot use
    it); raises ModelArtifactError otherwise."""
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelArtifactError(f"malformed {METADATA_FILE}: {exc!r}") from exc
    known = [list(FEATURES), *(list(cues) for cues in EARLIER_FEATURES)]
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("features") not in known:
        raise ModelArtifactError(f"{METADATA_FILE} is not a {FORMAT} model with this code's features")
    return meta


@dataclass(frozen=True, eq=False)
class BoundaryModel:
    """Page models and the combiner that says, page by page, whether a new document begins.

    Usage::

        probabilities = model.start_probabilities(page_texts)  # one per page but the first
        starts = model.starts(page_texts)                       # 0 and every page that begins one
        starts, probabilities = model.divide(page_texts)        # both at once

    A stack is divided as a whole (`docroute.classifier.division`): the pages whose start
    probability is at or above the threshold, unless that leaves a part of one or two pages
    that the samples of its class seldom are, or one longer than most of them (`lengths`,
    `survival`; a model stored without them decides gap by gap).
    """

    pages: PageModels
    weights: F64  # (len(FEATURES) * (1 + classes),): the cues, then the cues of each class
    bias: float
    threshold: float = 0.5
    # (classes, SHORT_PARTS + 1): the share of each class's samples with 1, 2, more pages of text
    # (`length_shares`: a length between two that the samples hold no rarer than the rarer of them)
    lengths: F64 | None = None
    # The text of the shortest sample (`text_amount` over its pages); None in a model stored before
    shortest: float | None = None
    # (classes, longest sample + 1): the share of each class's samples at least 1, 2, ... pages of
    # text long (`length_survival`); None in a model stored before, which weighs no long part
    survival: F64 | None = None
    # The cues `weights` weigh: FEATURES, or those of an earlier release (EARLIER_FEATURES), whose
    # model decides as it did then (the cues it lacks are not read)
    features: tuple[str, ...] = FEATURES
    # Boosted trees over the same cues, blended with the linear combiner (`start_logits`); None in
    # a model stored before them, which decides by its weights alone
    trees: Trees | None = None

    def start_probabilities(self, texts: Sequence[str]) -> F64:
        """For pages 1..n-1: the probability that the page begins a new document (0 for a page
        without text: it belongs to the document before it)."""
        return self.divide(texts)[1]

    def starts(self, texts: Sequence[str]) -> list[int]:
        """The pages that begin a document: page 0 and those of the best division (`divide`)."""
        return self.divide(texts)[0]

    def divide(self, texts: Sequence[str]) -> tuple[list[int], F64]:
        """The pages that begin a document (page 0 first) and, for pages 1..n-1, the probability
        that each begins one. Without the samples' lengths: the pages at or above the threshold."""
        found = self.division(texts)
        return found.starts, found.probabilities

    def division(self, texts: Sequence[str]) -> Division:
        """`divide`'s answer, and how sure the model is of each part it makes (`Division`)."""
        if len(texts) < 2:
            return Division([0], np.zeros(0), [1.0])  # one part, page 0 alone (or nothing)
        rows = self.pages.rows(texts)
        states = self.pages.state_probabilities(rows)
        classes = self.pages.page_classes(rows, states)
        cues = pair_features(self.pages, texts, rows, states, classes)
        features, weights = self._read(cues)
        # The trees read the cues in their model's own layout (its release's FEATURES).
        own = cues if self.features == FEATURES else cues[:, self._known()]
        tree_logits = None if self.trees is None else self.trees.decision(own)
        logits = start_logits(features, weights, self.bias, tree_logits)
        with_text = [has_text(t) for t in texts]
        probabilities = np.where(with_text[1:], 1.0 / (1.0 + np.exp(-logits)), 0.0)
        penalties = (
            short_part_penalties(
                classes,
                with_text,
                self.lengths,
                [text_amount(t) for t in texts],
                self.shortest,
            )
            if self.lengths is not None
            else {}
        )
        long_parts = None if self.survival is None else LongParts(classes, with_text, self.survival)
        cut = float(np.log(self.threshold / (1.0 - self.threshold)))
        # One score for the division and for how sure it is of each part: its starts' gains and
        # its parts' costs.
        gain = start_gains(logits - cut, with_text)
        cost = part_costs(len(texts), penalties, long_parts)
        starts = best_division(gain, cost)
        sure = part_probabilities(gain, cost, list(zip(starts, [*starts[1:], len(texts)], strict=True)))
        confidences = [round(p, 4) for p in sure]
        if self.survival is not None:
            doubted = unlearnt_gaps(classes, with_text, self.survival) & ~settled(cues)
            confidences = held_in_doubt(confidences, starts, doubted)
        return Division(starts, np.asarray(probabilities, dtype=np.float64), confidences)

    def goes_on(self, before: str, after: str) -> float | None:
        """The probability that page ``after`` goes on from page ``before`` (the gap between two
        pages read alone); None where ``after`` has no text, which tells nothing."""
        if not has_text(after):
            return None
        return 1.0 - float(self.start_probabilities([before, after])[0])

    def alone_cost(self, text: str) -> float:
        """What a division would take off for a part of this one page (`short_part_penalties`:
        how seldom the samples of its class are one page long, and whether it holds less text
        than the shortest sample), in log-odds, 0 or less; 0 for a model stored without the
        samples' lengths or a page without text."""
        if self.lengths is None or not has_text(text):
            return 0.0
        rows = self.pages.rows([text])
        classes = self.pages.page_classes(rows, self.pages.state_probabilities(rows))
        costs = short_part_penalties(classes, [True], self.lengths, [text_amount(text)], self.shortest)
        return costs[(0, 1)]

    def _read(self, features: F64) -> tuple[F64, F64]:
        """The cues (`pair_features`) and weights in this code's layout, a cue the model lacks
        (stored by an earlier release) set to 0 and weighed 0: it decides as it did."""
        if self.features == FEATURES:
            return features, self.weights
        known = self._known()
        weights = np.zeros(len(known), dtype=np.float64)
        weights[known] = self.weights
        return np.where(known, features, 0.0), weights

    def _known(self) -> npt.NDArray[np.bool_]:
        """The columns of this code's cues (`pair_features`) that the model's release had."""
        return cue_columns(self.features, len(self.pages.labels))

    def save(self) -> dict[str, bytes]:
        """The artifact's files: `boundary.safetensors` (arrays) and `boundary.json`."""
        arrays = {
            "idf": self.pages.tfidf.idf,
            "state_coef": self.pages.state_coef,
            "state_intercept": self.pages.state_intercept,
            "state_class": self.pages.state_class,
            "state_first": self.pages.state_first.astype(np.int8),
            "form_coef": self.pages.form_coef,
            "weights": self.weights,
        }
        if self.lengths is not None:
            arrays["lengths"] = self.lengths
        if self.survival is not None:
            arrays["survival"] = self.survival
        if self.pages.class_coef is not None and self.pages.class_intercept is not None:
            arrays["class_coef"] = self.pages.class_coef
            arrays["class_intercept"] = self.pages.class_intercept
        metadata = {
            "format": FORMAT,
            "labels": list(self.pages.labels),
            "tfidf": {
                "config": self.pages.tfidf.config.to_dict(),
                "vocabulary": list(self.pages.tfidf.vocabulary),
            },
            "bias": self.bias,
            "form_intercept": self.pages.form_intercept,
            "threshold": self.threshold,
            "features": list(self.features),
        }
        if self.shortest is not None:
            metadata["shortest"] = self.shortest
        if self.trees is not None:
            arrays.update(self.trees.arrays())
            metadata["trees_baseline"] = self.trees.baseline
        return {
            ARRAYS_FILE: safetensors.numpy.save({k: np.ascontiguousarray(v) for k, v in arrays.items()}),
            METADATA_FILE: json.dumps(metadata, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        }

    @classmethod
    def load(cls, files: Mapping[str, bytes]) -> BoundaryModel:
        """Rebuild a model from `save()` output.

        :raises ModelArtifactError: when a file is missing or malformed.
        """
        try:
            meta = read_metadata(files[METADATA_FILE])
            arrays = safetensors.numpy.load(bytes(files[ARRAYS_FILE]))
            tfidf = TfidfState(
                config=TfidfConfig.from_dict(meta["tfidf"]["config"]),
                vocabulary=tuple(str(t) for t in meta["tfidf"]["vocabulary"]),
                idf=np.asarray(arrays["idf"], dtype=np.float64),
            )
            labels = tuple(str(label) for label in meta["labels"])
            model = cls(
                pages=PageModels(
                    labels=labels,
                    tfidf=tfidf,
                    state_coef=np.asarray(arrays["state_coef"], dtype=np.float64),
                    state_intercept=np.asarray(arrays["state_intercept"], dtype=np.float64),
                    state_class=np.asarray(arrays["state_class"], dtype=np.int64),
                    state_first=np.asarray(arrays["state_first"]).astype(bool),
                    form_coef=np.asarray(arrays["form_coef"], dtype=np.float64),
                    form_intercept=float(meta["form_intercept"]),
                    # A model stored before reads its classes off its states.
                    class_coef=_optional(arrays, "class_coef"),
                    class_intercept=_optional(arrays, "class_intercept"),
                ),
                weights=np.asarray(arrays["weights"], dtype=np.float64),
                bias=float(meta["bias"]),
                threshold=float(meta["threshold"]),
                # A model stored before the samples' lengths were kept divides gap by gap.
                lengths=np.asarray(arrays["lengths"], dtype=np.float64) if "lengths" in arrays else None,
                shortest=float(meta["shortest"]) if meta.get("shortest") is not None else None,
                # A model stored before the samples' whole lengths were kept weighs no long part.
                survival=_optional(arrays, "survival"),
                features=tuple(meta["features"]),
                # A model stored before the trees decides by its weights alone.
                trees=_trees(arrays, meta),
            )
        except ModelArtifactError:
            raise
        except (KeyError, TypeError, ValueError, UnicodeDecodeError, SafetensorError) as exc:
            raise ModelArtifactError(f"malformed boundary model: {exc!r}") from exc
        model._validate()
        return model

    def _validate(self) -> None:
        width = 2 * self.pages.tfidf.size
        n_classes = len(self.pages.labels)
        pages = self.pages
        n_states = len(pages.state_intercept)
        ok = (
            (self.features == FEATURES or self.features in EARLIER_FEATURES)
            and self.weights.shape == (len(self.features) * (1 + n_classes),)
            and n_states >= 1
            and pages.state_coef.shape == (n_states, width)
            and pages.state_class.shape == pages.state_first.shape == (n_states,)
            and pages.form_coef.shape == (len(FORM),)
            and bool(((pages.state_class >= 0) & (pages.state_class < n_classes)).all())
            and 0.0 < self.threshold < 1.0
            and all(
                np.isfinite(a).all()
                for a in (self.weights, pages.state_coef, pages.state_intercept, pages.form_coef)
            )
            and np.isfinite(pages.form_intercept)
            and (
                self.lengths is None
                or (
                    self.lengths.shape == (n_classes, SHORT_PARTS + 1)
                    and bool(np.isfinite(self.lengths).all() and (self.lengths > 0).all())
                )
            )
            and (self.shortest is None or (np.isfinite(self.shortest) and self.shortest >= 0))
            and (
                self.survival is None
                or (
                    self.survival.ndim == 2
                    and self.survival.shape[0] == n_classes
                    and self.survival.shape[1] >= 2
                    and bool(((self.survival > 0) & (self.survival <= 1)).all())
                )
            )
            and _class_model_fits(pages.class_coef, pages.class_intercept, n_classes, width)
        )
        if not ok:
            raise ModelArtifactError("boundary model arrays do not fit its vocabulary, classes or features")


def _trees(arrays: Mapping[str, npt.NDArray[np.generic]], meta: Mapping[str, Any]) -> Trees | None:
    """The model's trees, or None where it has none (stored before them); a model with some of
    their arrays but not all is malformed."""
    present = [name in arrays for name in TREE_ARRAYS] + ["trees_baseline" in meta]
    if not any(present):
        return None
    if not all(present):
        raise ModelArtifactError("boundary model holds some of its trees' arrays but not all")
    return Trees.load(arrays, meta["trees_baseline"], len(arrays["weights"]))


def _class_model_fits(coef: F64 | None, intercept: F64 | None, classes: int, width: int) -> bool:
    """No class model (a model stored before), or one row of finite weights per class."""
    if coef is None or intercept is None:
        return coef is None and intercept is None
    return (
        coef.shape == (classes, width)
        and intercept.shape == (classes,)
        and bool(np.isfinite(coef).all() and np.isfinite(intercept).all())
    )


def _optional(arrays: Mapping[str, npt.NDArray[Any]], name: str) -> F64 | None:
    return np.asarray(arrays[name], dtype=np.float64) if name in arrays else None
