"""How a classifier model stores its unknown rule (`docroute.classifier.openset.UnknownRule`): its
arrays in `model.safetensors` under `unknown.*`, its settings in `model.json`; each part optional
as the releases added it (outlier exposure, the wording view and its corroboration, the nearest
background documents), so a model stored before a part loads without it, and a release that does
not know a part refuses the model (NewerModelError) and serves the version it has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from docroute.classifier.artifact import finite_array, string_list
from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.classifier.openset import BackgroundRule, UnknownRule
from docroute.classifier.wording import WORDING_GATES, WordingGate, WordingRule

_UNKNOWN_ARRAYS = {"unknown.thresholds", "unknown.centroids"}
_BACKGROUND_ARRAYS = {"unknown.background.coef", "unknown.background.intercept"}
# Only in models whose wording view leans by the nearest background document (since 2026-12-06):
# a release before it refuses such a model (NewerModelError) and serves the version it has.
_BACKGROUND_DOCUMENTS = "unknown.background.documents"
_WORDING_ARRAYS = {"unknown.wording.vocabulary", "unknown.wording.ratios", "unknown.wording.unseen"}
# The wording view's n-grams, stored as one UTF-8 array: they hold no line break (n-grams stay
# inside words), so a line break separates them.
_SEPARATOR = "\n"
# Every array name an unknown rule may store.
UNKNOWN_RULE_ARRAYS = _UNKNOWN_ARRAYS | _BACKGROUND_ARRAYS | {_BACKGROUND_DOCUMENTS} | _WORDING_ARRAYS


def unknown_rule_arrays(rule: UnknownRule) -> dict[str, npt.NDArray[Any]]:
    """The rule's arrays as `model.safetensors` holds them."""
    arrays: dict[str, npt.NDArray[Any]] = {
        "unknown.thresholds": rule.thresholds,
        "unknown.centroids": rule.centroids.astype(np.float16),
    }
    if rule.background is not None:
        arrays["unknown.background.coef"] = rule.background.coef
        arrays["unknown.background.intercept"] = rule.background.intercept
        if rule.background.documents is not None:
            arrays[_BACKGROUND_DOCUMENTS] = rule.background.documents.astype(np.float16)
    if rule.wording is not None:
        arrays.update(_wording_arrays(rule.wording))
    return arrays


def unknown_rule_settings(rule: UnknownRule) -> dict[str, Any]:
    """The rule's settings as `model.json` holds them (its `unknown_rule`)."""
    return {
        "k": rule.k,
        "tfidf_block": rule.tfidf_block,
        **_background_settings(rule.background),
        **_wording_settings(rule.wording),
    }


def read_unknown_rule(meta: object, arrays: Mapping[str, npt.NDArray[Any]]) -> UnknownRule | None:
    """The per-class unknown rule of an artifact, or None for artifacts that predate it."""
    if meta is None:
        if UNKNOWN_RULE_ARRAYS & set(arrays):
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


def unknown_rule_fits(rule: UnknownRule | None, labels: int, terms: Sequence[int], dim: int) -> bool:
    """True without a rule, or when its arrays match the model's `labels` (a count), its TF-IDF
    blocks (`terms`: each block's vocabulary size) and its embedding's `dim`."""
    if rule is None:
        return True
    size = terms[rule.tfidf_block] if rule.tfidf_block < len(terms) else 1
    background = rule.background
    return (
        rule.k >= 1
        and (
            background is None
            or (
                finite_array(background.coef, np.float32, (labels + 1, dim))
                and finite_array(background.intercept, np.float32, (labels + 1,))
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
        and (rule.wording is None or rule.wording.fits(labels))
        and 0 <= rule.tfidf_block < max(1, len(terms))
        and finite_array(rule.thresholds, np.float32, (2, labels))
        and isinstance(rule.centroids, np.ndarray)
        and rule.centroids.shape == (labels, size)
        and bool(np.isfinite(rule.centroids).all())
    )


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
        languages=tuple(string_list(langs) for langs in languages),
        limit=float(settings["limit"]),
        gate=cast(WordingGate, gate),
        wider_languages=string_list(corroboration["languages"]),
        wider_limit=float(corroboration["limit"]),
        lean=float(corroboration["lean"]),
        nearest_lean=float(corroboration.get("nearest_lean", 0.0)),
        wider_by_class=tuple(string_list(langs) for langs in by_class),
    )
