"""Request and response models of training data: batches, samples and readiness."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SampleState = Literal["pending", "unlabelled", "labelled", "removed"]


class RejectedFile(BaseModel):
    """A file of a batch that never became a document, and why."""

    filename: str
    reason_code: str
    reason: str


class BatchFailure(BaseModel):
    """A document of a batch that failed in the pipeline (a zip member, an unreadable scan)."""

    document_id: uuid.UUID
    filename: str | None
    member_path: str | None
    stage: str | None
    reason_code: str | None
    reason: str | None


class BatchProgress(BaseModel):
    """Where a batch of training files is: counted from its documents, zip members included."""

    batch_id: uuid.UUID
    workflow_id: uuid.UUID
    files_total: int = Field(description="Files sent in the batch's requests")
    files_accepted: int = Field(description="Files stored and handed to ingest")
    files_rejected: int = Field(description="Files refused at the door (see `rejected`)")
    documents_received: int = Field(description="Documents ingest took in (a zip: its members)")
    documents_ocred: int = Field(description="Documents whose text is extracted")
    documents_labelled: int = Field(description="Read documents with a label: training samples")
    documents_unlabelled: int = Field(description="Read documents waiting for a label")
    documents_failed: int = Field(description="Documents that failed (see `failures`)")
    documents_pending: int = Field(description="Files or documents still on their way")
    done: bool = Field(description="Every file handed on and every document read or failed")
    rejected: list[RejectedFile] = Field(default_factory=list)
    failures: list[BatchFailure] = Field(default_factory=list)
    created_at: datetime
    url: str | None = None


class SamplePrediction(BaseModel):
    """The live version's guess for an unlabelled sample (computed when the version was trained)."""

    predicted_class: str
    confidence: float = Field(description="The guessed class's probability (0-1)")
    model_version: int = Field(description="The live version that guessed")


class SamplePublic(BaseModel):
    """A training sample: a document uploaded as training data (a zip's members one by one)."""

    sample_id: uuid.UUID
    state: SampleState = Field(
        description="pending: not read yet; unlabelled: read, no label; labelled: in the training "
        "set; removed: taken out of it"
    )
    label: str | None
    filename: str | None
    member_path: str | None
    page_count: int | None
    batch_id: uuid.UUID | None
    labelled_by: str | None
    labelled_at: datetime | None
    created_at: datetime
    prediction: SamplePrediction | None = Field(
        None,
        description="The live version's guess, for an unlabelled sample read before that version "
        "was trained; null otherwise",
    )


class SampleLabel(BaseModel):
    """Body of PUT /workflows/{key}/samples/{sample_id}/label."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=100, description="One of the workflow's labels")


class Confusion(BaseModel):
    """Out-of-fold predictions of the live version that took one class for another."""

    true_class: str
    predicted_class: str
    count: int
    share: float = Field(description="Of the true class's samples")


class ClassReadiness(BaseModel):
    """One class's labelled samples against the rule of thumb."""

    label: str
    samples: int
    recommended: int
    missing: int
    ready: bool


class Readiness(BaseModel):
    """Is there enough training data, and where to add more."""

    workflow_id: uuid.UUID
    ready: bool = Field(description="Every class has at least the recommended samples")
    rule: str = Field(description="The rule of thumb applied")
    hard: bool = Field(description="Counts doubled for a hard task")
    hard_reason: str
    classes: list[ClassReadiness]
    live_version: int = Field(description="0: no model yet")
    confusions: list[Confusion] = Field(
        default_factory=list, description="From the live version's cross-validated predictions"
    )
    advice: list[str] = Field(description="What to do, plainly: 'add more X'")
    samples_pending: int = Field(description="Training uploads not read yet")
    samples_unlabelled: int = Field(description="Read training uploads without a label")


class GroupMember(BaseModel):
    """An unlabelled sample in a group, with how typical of the group it is."""

    sample_id: uuid.UUID
    filename: str | None
    member_path: str | None
    similarity: float = Field(description="Cosine similarity of its text to the group's centre")
    odd: bool = Field(description="Far less similar than the group's typical member: check it first")


class SampleGroup(BaseModel):
    """Unlabelled samples whose texts are alike: probably one kind, label them together."""

    size: int
    terms: list[str] = Field(description="The words that weigh most in the group")
    samples: list[GroupMember] = Field(description="Most typical first")


class SampleGroups(BaseModel):
    """GET /workflows/{key}/samples/groups."""

    samples: int = Field(description="Unlabelled samples grouped (at most `limit`, oldest first)")
    groups: list[SampleGroup] = Field(description="Largest first")


class SampleLabelItem(BaseModel):
    """One sample's label in a bulk request."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sample_id: uuid.UUID
    label: str = Field(min_length=1, max_length=100)


class SampleLabels(BaseModel):
    """Body of POST /workflows/{key}/samples/labels: label many samples at once (a group)."""

    model_config = ConfigDict(extra="forbid")

    labels: list[SampleLabelItem] = Field(min_length=1, max_length=1000)


class SampleSuggestion(BaseModel):
    """An unlabelled sample with a guess: the live version's prediction, else the class whose
    labelled samples' text is most alike."""

    sample_id: uuid.UUID
    filename: str | None
    member_path: str | None
    page_count: int | None
    guess: str | None = Field(
        description="The live version's prediction, else the class its text is most alike; null "
        "before two classes have samples"
    )
    confidence: float | None = Field(
        description="The guess's probability (the version's), else its share of text similarities"
    )
    margin: float | None = Field(description="Its lead over the runner-up: small means unsure")
    model_version: int | None = Field(
        None, description="The live version that guessed; null: guessed from the labelled samples' text"
    )
