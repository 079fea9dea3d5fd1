"""Request and response models of the HTTP API (storage models are in `models.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from docroute.page_selection import validate_relevant_pages
from docroute.routing import Routing, RoutingNaming, topic_name_problem
from docroute.topics import class_slug, extract_topic
from services.api.schemas_review import Explanation, ReviewInfo

PAGES_HELP = "'all', 'first N', 'last N' or 1-based pages and ranges such as '1,3' or '1-3,5-'"


def normalize_relevant_pages(value: str | None) -> str | None:
    """The canonical spec (the OCR service's grammar); None means every page."""
    canonical = validate_relevant_pages(value)
    return None if canonical == "all" else canonical


class DocumentSpecIn(BaseModel):
    """How to read the workflow's documents."""

    model_config = ConfigDict(extra="forbid")

    cropping: bool = False
    character_set: Literal["latin", "japanese"] = "latin"
    text_style: Literal["printed", "handwritten", "both"] = "printed"
    relevant_pages: str | None = Field(default=None, description=PAGES_HELP)
    ocr_engine: Literal["tesseract", "paddle"] = "tesseract"

    @field_validator("relevant_pages")
    @classmethod
    def _pages(cls, value: str | None) -> str | None:
        return normalize_relevant_pages(value)


def printable(value: str) -> str:
    """No control characters (PostgreSQL refuses NUL in text; names are shown and logged)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(printable)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
Description = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
ROUTING_HELP = (
    "Where confident documents go, per class. naming `shared` (default): extract.<class>, one "
    "topic per class across workflows; `per_workflow`: extract.<workflow key>.<class>. "
    "class_topics names a topic for a class (Kafka topic rules; not one of docroute's own "
    "topics nor another workflow's extract.<key>.). Set and changed with the admin key only."
)


def _topic_name(value: str) -> str:
    why = topic_name_problem(value)
    if why:
        raise ValueError(why)
    return value


TopicName = Annotated[str, Field(min_length=1, max_length=249), AfterValidator(_topic_name)]


class RoutingIn(BaseModel):
    """A workflow's routing rule (see ROUTING_HELP); a change replaces the whole rule."""

    model_config = ConfigDict(extra="forbid")

    naming: RoutingNaming = Field(
        default="shared",
        description="shared: extract.<class>; per_workflow: extract.<workflow key>.<class>",
    )
    class_topics: dict[Label, TopicName] = Field(
        default_factory=dict, max_length=200, description="Topic per class, overriding naming"
    )

    def rule(self) -> Routing:
        return Routing(self.naming, dict(self.class_topics))


class WorkflowCreate(BaseModel):
    """Body of POST /workflows."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    description: Description = ""
    labels: list[Label] = Field(min_length=2, max_length=200)
    document_spec: DocumentSpecIn = DocumentSpecIn()
    threshold: Probability = 0.8
    class_thresholds: dict[str, Probability] = Field(default_factory=dict)
    retrain_every: int = Field(default=20, ge=1, le=100_000)
    routing: RoutingIn = Field(default_factory=RoutingIn, description=ROUTING_HELP)

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: list[str]) -> list[str]:
        slugs: dict[str, str] = {}
        for label in labels:
            try:
                slug = class_slug(label)
            except ValueError as exc:
                raise ValueError(str(exc)) from exc
            if slug in slugs:
                raise ValueError(
                    f"labels {slugs[slug]!r} and {label!r} are not unique: "
                    f"both route to {extract_topic(label)!r}"
                )
            slugs[slug] = label
        return labels

    @model_validator(mode="after")
    def _thresholds_name_labels(self) -> WorkflowCreate:
        unknown = sorted(set(self.class_thresholds) - set(self.labels))
        if unknown:
            raise ValueError(f"class_thresholds name classes that are not labels: {unknown}")
        unknown = sorted(set(self.routing.class_topics) - set(self.labels))
        if unknown:
            raise ValueError(f"routing.class_topics name classes that are not labels: {unknown}")
        return self


class WorkflowPublic(BaseModel):
    """A workflow as the API shows it; `key` is what uploads are addressed to."""

    model_config = ConfigDict(from_attributes=True)

    key: uuid.UUID = Field(validation_alias="id")
    name: str
    description: str
    labels: list[str]
    document_spec: DocumentSpecIn
    threshold: float
    class_thresholds: dict[str, float]
    retrain_every: int
    archived: bool
    routing: RoutingIn = Field(default_factory=RoutingIn, description=ROUTING_HELP)
    extract_topics: dict[str, str] = Field(
        default_factory=dict, description="The topic each class's confident documents go to"
    )
    plan: str = "free"
    # Read from the stored S3 ref; shown as the path to GET it from (with an API key).
    thumbnail_url: str | None = Field(default=None, validation_alias="thumbnail_ref")
    created_at: datetime
    updated_at: datetime

    @field_validator("routing", mode="before")
    @classmethod
    def _routing(cls, value: object) -> object:
        return RoutingIn() if value is None else value  # null column: the shared default

    @model_validator(mode="after")
    def _topics(self) -> WorkflowPublic:
        self.extract_topics = self.routing.rule().topic_map(str(self.key), self.labels)
        if self.thumbnail_url and not self.thumbnail_url.startswith("/"):
            self.thumbnail_url = f"/workflows/{self.key}/thumbnail"
        return self


class DocumentAccepted(BaseModel):
    """Answer of the upload door (202): the document id to ask GET /documents/{id} about."""

    document_id: uuid.UUID
    workflow_id: uuid.UUID
    status: str
    url: str | None = None


class TrainingAccepted(BaseModel):
    """Answer of POST /workflows/{key}/train (202)."""

    request_id: uuid.UUID
    workflow_id: uuid.UUID


class Classification(BaseModel):
    """Confidence of one class."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    document_class: str = Field(alias="class")
    confidence: float


class RouteInfo(BaseModel):
    """Where the router sent the document and why."""

    route: str
    topic: str | None
    reason: str | None
    threshold: float | None


class Failure(BaseModel):
    """Why a document was dead-lettered."""

    stage: str | None
    reason_code: str | None
    reason: str | None


class OcrWordOut(BaseModel):
    text: str
    confidence: float
    box: list[int]


class OcrPageOut(BaseModel):
    index: int
    width: int | None = None
    height: int | None = None
    source: str | None = None
    cropped: bool = False
    mean_confidence: float | None = None
    text: str
    words: list[OcrWordOut] = Field(default_factory=list)


class OcrOut(BaseModel):
    """The document's text (pages read, joined) and, per page, the words with boxes."""

    text: str
    pages: list[OcrPageOut]


class DocumentPublic(BaseModel):
    """What the database knows about a document."""

    document_id: uuid.UUID
    workflow_id: uuid.UUID | None
    status: str
    purpose: str | None
    label: str | None
    filename: str | None
    media_type: str | None
    page_count: int | None
    parent_id: str | None
    created_at: datetime
    updated_at: datetime


class ProcessingResult(DocumentPublic):
    """The full result: classes, route, OCR, failure and, for a zip, its member documents."""

    predicted_class: str | None = None
    confidence: float | None = None
    classifications: list[Classification] = Field(default_factory=list)
    route: RouteInfo | None = None
    model_version: int | None = None
    unknown: bool | None = Field(default=None, description="Unlike every class seen in training")
    unknown_reason: str | None = None
    explanation: Explanation | None = None
    review: ReviewInfo | None = None
    ocr: OcrOut | None = None
    failure: Failure | None = None
    members: list[ProcessingResult] = Field(default_factory=list)
