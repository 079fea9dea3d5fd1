"""Runs the promotion gate (core/gate.py) for a freshly trained candidate.

Reads what it compares against: the live version (from the `model.published` topic's events,
through a `LiveVersions` port), its artifact and manifest in S3, and its embedder.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

import numpy as np

from docroute.blobstore import BlobRef
from docroute.classifier.embedders import Embedder, load_embedder
from docroute.classifier.errors import ModelArtifactError, NewerModelError
from docroute.classifier.features import TfidfConfig
from docroute.classifier.model import ClassifierModel
from docroute.classifier.openset import VIEWS, UnknownConfig
from docroute.classifier.wording import CORROBORATION_LANGUAGES, LANGUAGE_COUNTS_OVER, WORDING_GATES
from docroute.model_versions import LiveModel
from services.trainer.adapters import TrainingStore
from services.trainer.core import TrainingConfig, TrainingResult, train_classifier
from services.trainer.core.gate import (
    GateDecision,
    compare,
    first_version,
    not_compared,
    pinned,
    unseen_indexes,
)

logger = logging.getLogger(__name__)


class LiveVersions(Protocol):
    """Which version serves a workflow (docroute.model_versions.ModelVersions)."""

    def live(self, workflow_id: str) -> LiveModel | None: ...

    def sync(self, timeout_s: float = 15.0) -> bool: ...


@dataclass(frozen=True, eq=False)
class Candidate:
    """A trained version before it is published: its samples, texts, result and recipe."""

    sample_ids: Sequence[str]
    labels: Sequence[str]
    texts: Sequence[str]
    result: TrainingResult
    recipe: dict[str, Any]

    def oof_predictions(self, rows: Sequence[int]) -> list[str]:
        """The candidate's out-of-fold class for each sample position in `rows`."""
        best = self.result.oof_probabilities.argmax(axis=1)
        return [self.result.model.labels[int(best[i])] for i in rows]


def recipe(embedder_id: str, config: TrainingConfig) -> dict[str, Any]:
    """What, besides the data, decides a model: the embedder and the hyperparameters, as the
    manifest's JSON gives them back (lists, not tuples), so that the gate finds a live version's
    recipe equal to a candidate's of the same settings and does not train it again."""
    settings = asdict(config)
    settings["tfidf"] = [block.to_dict() for block in config.tfidf]
    settings["tfidf_weights"] = list(config.tfidf_weights)
    as_json: dict[str, Any] = json.loads(json.dumps({"embedder_id": embedder_id, "config": settings}))
    return as_json


def config_from_recipe(data: dict[str, Any]) -> TrainingConfig:
    """The configuration a recipe was trained with. A recipe a newer release wrote, naming
    settings this one does not know, raises NewerModelError (during a rolling update the live
    version may be a newer replica's): re-running it without them would not be that recipe."""
    settings = dict(data["config"])
    _refuse_newer(settings, TrainingConfig)
    _refuse_newer(settings.get("unknown") or {}, UnknownConfig)
    settings["tfidf"] = tuple(TfidfConfig.from_dict(block) for block in settings["tfidf"])
    settings["tfidf_weights"] = tuple(settings["tfidf_weights"])
    # Recipes of versions trained before the per-class unknown rule have no "unknown": they keep
    # the global threshold, as the versions themselves do.
    unknown = settings.get("unknown")
    settings["unknown"] = (
        None
        if unknown is None
        else UnknownConfig(
            **{
                **unknown,
                "duplicate_similarity": tuple(unknown["duplicate_similarity"]),
                # Recipes from before `views` flagged on both views: re-run as they were.
                "views": tuple(unknown.get("views", VIEWS)),
                # Recipes from before the claim rule fitted the whole background set.
                "background_claims": unknown.get("background_claims", False),
                # Recipes from before the conformal limit raised it under 10 samples a class.
                "background_flag_share": unknown.get("background_flag_share", 0.0),
                # Recipes from before the wording view had none.
                "wording_flag_share": unknown.get("wording_flag_share", 0.0),
                # Recipes from before the language's sample count spoke on any one sample.
                "wording_language_samples": unknown.get("wording_language_samples", 1),
                # Recipes from before the corroborated view had none.
                "wording_corroboration": unknown.get("wording_corroboration", 0.0),
                # Recipes from before the nearest-background lean read outlier exposure's.
                "wording_nearest_lean": unknown.get("wording_nearest_lean", 0.0),
                # Recipes from before the other classes' languages opened it read any sample's.
                "wording_corroboration_languages": unknown.get("wording_corroboration_languages", "workflow"),
                # Recipes from before counted a held-out sample's language in the other folds.
                "wording_language_count_over": unknown.get("wording_language_count_over", "folds"),
            }
        )
    )
    return TrainingConfig(**settings)


# The unknown rule's settings that name one of a few choices: a choice this release does not know
# is a newer release's, as an unknown setting is.
_CHOICES: dict[str, tuple[str, ...]] = {
    "wording_gate": WORDING_GATES,
    "wording_corroboration_languages": CORROBORATION_LANGUAGES,
    "wording_language_count_over": LANGUAGE_COUNTS_OVER,
}


def _refuse_newer(settings: dict[str, Any], config: type) -> None:
    newer = sorted(set(settings) - {f.name for f in fields(config)})
    if newer:
        raise NewerModelError(f"recipe settings {', '.join(newer)} are not known to this release")
    for name, known in _CHOICES.items():
        if name in settings and settings[name] not in known:
            raise NewerModelError(f"recipe setting {name} {settings[name]!r} is not known to this release")


class PromotionGate:
    """Decides whether a candidate goes live (see core/gate.py for the reasoning)."""

    def __init__(
        self,
        store: TrainingStore,
        versions: LiveVersions,
        embedder_for: Callable[[str], Embedder] = load_embedder,
    ) -> None:
        self._store = store
        self._versions = versions
        # The trainer's cached embedders: the texts it trained on are not embedded again here.
        self._embedder_for = embedder_for

    def decide(self, workflow_id: str, candidate: Candidate) -> GateDecision:
        # The trainer's own last version may still be in flight on the topic: catch up first.
        self._versions.sync()
        live = self._versions.live(workflow_id)
        n = len(candidate.sample_ids)
        if live is not None and live.pinned:
            return pinned(live.version)
        if live is None or live.version == 0 or live.artifact_ref is None:
            return first_version(n)
        try:
            model = self._load(live.artifact_ref)
        except ModelArtifactError as exc:
            logger.warning(
                "live v%d unreadable, not compared: %s", live.version, exc, extra={"workflow_id": workflow_id}
            )
            return not_compared(live.version, f" cannot be read ({exc})", n)
        trained_on = dict(zip(model.training_sample_ids, model.training_labels, strict=True))
        rows = unseen_indexes(candidate.sample_ids, candidate.labels, trained_on)
        if rows:
            texts = [candidate.texts[i] for i in rows]
            probabilities = model.predict_proba(texts, self._embedder_for(model.embedder_id).embed(texts))
            live_predictions = [model.labels[int(j)] for j in probabilities.argmax(axis=1)]
            truth = [candidate.labels[i] for i in rows]
            return compare(
                truth,
                candidate.oof_predictions(rows),
                live_predictions,
                method="unseen_samples",
                live_version=live.version,
            )
        return self._same_folds(workflow_id, live.version, candidate)

    def _same_folds(self, workflow_id: str, live_version: int, candidate: Candidate) -> GateDecision:
        """Nothing unseen: cross-validate the live recipe on the candidate's folds."""
        live_recipe = self._store.manifest(workflow_id, live_version).get("recipe")
        everything = list(range(len(candidate.sample_ids)))
        ours = candidate.oof_predictions(everything)
        if live_recipe is None or live_recipe == candidate.recipe:
            # The same recipe on the same data and folds is the candidate itself.
            decision = compare(candidate.labels, ours, ours, method="same_folds", live_version=live_version)
            return GateDecision(
                **{
                    **decision.to_dict(),
                    "reason": (
                        f"no samples v{live_version} has not seen, and the same recipe: cross-validated "
                        f"on the same folds it scores the same ({decision.candidate_accuracy}): goes live"
                    ),
                }
            )
        try:
            config = config_from_recipe(live_recipe)
        except NewerModelError as exc:  # as an unreadable live artifact is, in `decide`
            logger.warning(
                "live v%d's recipe unreadable, not compared: %s",
                live_version,
                exc,
                extra={"workflow_id": workflow_id},
            )
            return not_compared(
                live_version, f"'s recipe cannot be re-run here ({exc})", len(candidate.sample_ids)
            )
        embeddings = self._embedder_for(live_recipe["embedder_id"]).embed(list(candidate.texts))
        rerun = train_classifier(
            candidate.texts,
            embeddings,
            candidate.labels,
            sample_ids=candidate.sample_ids,
            embedder_id=live_recipe["embedder_id"],
            version="gate",
            config=config,
        )
        best = np.asarray(rerun.oof_probabilities).argmax(axis=1)
        theirs = [rerun.model.labels[int(j)] for j in best]
        return compare(candidate.labels, ours, theirs, method="same_folds", live_version=live_version)

    def _load(self, artifact_ref: str) -> ClassifierModel:
        prefix = BlobRef.parse(artifact_ref).key
        return ClassifierModel.load(
            {name: self._store.store.get(prefix + name) for name in ("model.safetensors", "model.json")}
        )
