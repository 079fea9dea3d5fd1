"""Boundary models this release cannot read: each retrained once, when the trainer starts.

A release that changes the boundary model's cues (`docroute.classifier.boundary_cues.FEATURES`)
cannot read the boundary models earlier releases published (unless it still reads their cues:
`EARLIER_FEATURES`, cues added since are left unread), and OCR then reads an `auto`
workflow's stacks as one document (services/ocr/boundaries.py) until the workflow trains again,
which could be weeks away (`retrain_every` new labels). So the trainer looks as it starts: each
active `auto` workflow whose live version's boundary model it cannot read gets a
`training.requested`, as if a person had asked. Its request id names the version and this
code's cues: however many replicas start, and however often, that version is retrained once
(the trainer trains once per request id), and the new version goes through the promotion gate
like any other.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from docroute import topics
from docroute.blobstore import BlobRef, BlobStore
from docroute.classifier.boundary import FORMAT, METADATA_FILE, read_metadata
from docroute.classifier.boundary_cues import FEATURES
from docroute.classifier.errors import ModelArtifactError
from docroute.contracts._generated import TrainingRequested, WorkflowUpdated
from docroute.errors import BlobNotFoundError, TransientError
from docroute.events import Outgoing, emit
from docroute.kafka import EventProducer
from docroute.model_versions import LiveModel, ModelVersions
from docroute.workflows import WorkflowDirectory

logger = logging.getLogger(__name__)

# The code's boundary model: a request id per (workflow, version, this), so a later release with
# other cues asks again for a version this one retrained.
_CODE = hashlib.sha256("\n".join([FORMAT, *FEATURES]).encode()).hexdigest()[:16]


class LiveVersions(Protocol):
    def live(self, workflow_id: str) -> LiveModel | None: ...


@dataclass(frozen=True)
class StaleBoundaryModel:
    """A live version whose boundary model this code cannot read, and why."""

    workflow_id: str
    version: int
    why: str


def stale_boundary_models(
    workflows: Iterable[WorkflowUpdated], versions: LiveVersions, store: BlobStore
) -> list[StaleBoundaryModel]:
    """The live versions of active `auto` workflows whose boundary model this code cannot read."""
    stale = []
    for workflow in workflows:
        if workflow.archived or workflow.splitting != "auto":
            continue
        live = versions.live(str(workflow.workflow_id))
        if live is None or live.artifact_ref is None:
            continue
        prefix = BlobRef.parse(live.artifact_ref).key
        try:
            # The cues are named in the small JSON file: the arrays need not be read to know.
            read_metadata(store.get(prefix + METADATA_FILE))
        except BlobNotFoundError:
            continue  # the version has no boundary model: training again teaches it nothing new
        except ModelArtifactError as exc:
            stale.append(StaleBoundaryModel(str(workflow.workflow_id), live.version, str(exc)))
    return stale


def retraining_requests(stale: Iterable[StaleBoundaryModel]) -> list[Outgoing]:
    """One `training.requested` per stale version, with an id that names it and this code."""
    return [
        emit(
            topics.TRAINING_REQUESTED,
            "training.requested",
            TrainingRequested(
                workflow_id=uuid.UUID(model.workflow_id),
                request_id=request_id(model.workflow_id, model.version),
                requested_by=f"docroute upgrade: v{model.version}'s boundary model is unreadable"[:200],
            ),
            source="trainer",
            key=model.workflow_id,
            step="upgrade",
            about=(model.workflow_id, model.version, _CODE),
        )
        for model in stale
    ]


def request_id(workflow_id: str, version: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"docroute:boundary-upgrade:{workflow_id}:v{version}:{_CODE}")


def request_retraining(
    workflows: WorkflowDirectory, versions: ModelVersions, store: BlobStore, producer: EventProducer
) -> list[StaleBoundaryModel]:
    """Ask for a training of every workflow whose live boundary model this release cannot read
    (at start, once both settings topics are read); a broker that fails is asked again at the
    next start."""
    versions.sync()
    stale = stale_boundary_models(workflows.active(), versions, store)
    for model in stale:
        logger.warning(
            "v%d's boundary model cannot be read by this release (%s): asking for a training",
            model.version,
            model.why,
            extra={"workflow_id": model.workflow_id},
        )
    try:
        producer.send(retraining_requests(stale))
    except TransientError as exc:
        logger.warning("could not ask for the trainings, asking at the next start: %s", exc)
    return stale
