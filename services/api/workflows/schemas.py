"""Request and response models of workflows: creation, changes, routing, labels, code snippets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from docroute.page_selection import validate_relevant_pages
from docroute.routing import Routing, RoutingNaming, topic_name_problem
from docroute.topics import class_slug, extract_topic
from services.api.fields import Description, Label, Name, Probability

PAGES_HELP = "'all', 'first N', 'last N' or 1-based pages and ranges such as '1,3' or '1-3,5-'"
CHARACTER_SET_HELP = (
    "'latin': English, German, French, Spanish, Slovak, Czech, Polish, Italian, Dutch, Slovenian, "
    "Croatian, Portuguese, Finnish, Swedish, Danish and Norwegian; 'japanese': Japanese"
)


TextStyle = Literal["printed", "handwritten", "both"]
# What natif.ai's setting means: "printed" reads printed text and ignores handwriting,
# "handwritten" reads handwriting and ignores print, "both" reads both. "both" reads every page
# with PaddleOCR, whose recognizer reads handwriting as well as print (docs/ocr.md); ignoring the
# print on a page needs telling print from handwriting, which docroute cannot yet.
HONOURED_TEXT_STYLES: frozenset[str] = frozenset({"printed", "both"})
TEXT_STYLE_HELP = (
    "Which text is read: 'printed' (default: Tesseract, pages it reads poorly again with "
    "PaddleOCR), 'both' (print and handwriting: every page read with PaddleOCR, which reads "
    "handwriting; slower) or 'handwritten' (print ignored). 'handwritten' is refused (422) "
    "rather than stored and ignored: docroute cannot yet tell print from handwriting on a page."
)


def honoured_text_style(value: str | None) -> str | None:
    """``value`` when docroute can read documents that way; else a ValueError (422) saying why."""
    if value is None or value in HONOURED_TEXT_STYLES:
        return value
    raise ValueError(
        f"text_style {value!r} cannot be honoured: ignoring the printed text on a page needs "
        "telling print from handwriting, which this deployment cannot. Use 'both', which reads "
        "handwriting and print, or 'printed'."
    )


def normalize_relevant_pages(value: str | None) -> str | None:
    """The canonical spec (the OCR service's grammar); None means every page."""
    canonical = validate_relevant_pages(value)
    return None if canonical == "all" else canonical


class DocumentSpecIn(BaseModel):
    """How to read the workflow's documents."""

    model_config = ConfigDict(extra="forbid")

    cropping: bool = False
    character_set: Literal["latin", "japanese"] = Field(default="latin", description=CHARACTER_SET_HELP)
    text_style: TextStyle = Field(default="printed", description=TEXT_STYLE_HELP)
    relevant_pages: str | None = Field(default=None, description=PAGES_HELP)
    ocr_engine: Literal["tesseract", "paddle"] = "tesseract"

    @field_validator("relevant_pages")
    @classmethod
    def _pages(cls, value: str | None) -> str | None:
        return normalize_relevant_pages(value)

    @field_validator("text_style")
    @classmethod
    def _text_style(cls, value: str) -> str:
        return str(honoured_text_style(value))


class DocumentSpecPublic(BaseModel):
    """A workflow's document spec as stored: shown as it is, also a text_style stored before
    'handwritten' was refused."""

    cropping: bool = False
    character_set: Literal["latin", "japanese"] = Field(default="latin", description=CHARACTER_SET_HELP)
    text_style: TextStyle = Field(default="printed", description=TEXT_STYLE_HELP)
    relevant_pages: str | None = Field(default=None, description=PAGES_HELP)
    ocr_engine: Literal["tesseract", "paddle"] = "tesseract"


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


Splitting = Literal["none", "separator", "every_page", "auto"]
SPLITTING_HELP = (
    "How a file holding several documents (a scanned stack) is divided into them before "
    "classification, each part then classified and routed as a document of its own: `none` (one "
    "file is one document), `separator` (at separator sheets, which belong to no part: blank "
    "pages, or barcode and Kodak patch-code sheets, which alone count when a stack has any; of "
    "blank pages in a row between two documents only the last is the sheet, the others stay in "
    "the document before, and in a stack scanned on both sides a sheet blank on both sides "
    "separates while a blank back stays in its document), "
    "`every_page` (one document per printed page, a blank page after it, its sheet's empty back, "
    "staying in its part), `auto` (where a new document begins, as the live "
    "version's boundary model sees it: learnt from the samples, every labelled multi-page sample "
    "teaching which pages start a document and which continue one, published with the classifier; "
    "a change of class between pages is a cue too; the version's `boundary` figures say how well "
    "it splits stacks composed of the samples; a version without one, trained on single-page "
    "samples only, reads a stack as one document). Under any mode but `none`, a photo or scan "
    "holding several documents (two or three receipts) is divided into them too; one document on "
    "an image stays one. May change at any time."
)


WordingLanguages = Literal["class", "workflow"]
WORDING_LANGUAGES_HELP = (
    "Where the unknown rule judges a document by its wording (per-class models of the character "
    "n-grams of the samples, against real documents of other kinds): `class` (default), "
    "when the document is in a language its predicted class's samples are in, so that a class "
    "is still recognised, by meaning, in a language it has no samples in (in a language only "
    "other classes have samples in, only when its embedding also leans towards the background "
    "documents); `workflow`, whenever "
    "the document is in a language any of the workflow's samples are in: more documents of "
    "kinds no class was trained on go to review (real documents, 15 samples a class, four "
    "groups of draws: 0.87-0.93 -> 0.92-0.94 of them, 2.6-4.1 -> 3.8-5.2 % of known documents "
    "flagged), but a class arriving in a language "
    "only other classes have samples in goes to review too (German-trained manual pages read in "
    "English or French: 0.92 -> 0.72 routed). Choose `workflow` when every class has samples in "
    "each language it arrives in. Taken by the next training (`POST /workflows/{key}/train` to take it now)."
)


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
    splitting: Splitting = Field(default="none", description=SPLITTING_HELP)
    wording_languages: WordingLanguages = Field(default="class", description=WORDING_LANGUAGES_HELP)

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
    document_spec: DocumentSpecPublic
    threshold: float
    class_thresholds: dict[str, float]
    retrain_every: int
    archived: bool
    routing: RoutingIn = Field(default_factory=RoutingIn, description=ROUTING_HELP)
    splitting: Splitting = Field(default="none", description=SPLITTING_HELP)
    wording_languages: WordingLanguages = Field(default="class", description=WORDING_LANGUAGES_HELP)
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

    @field_validator("splitting", mode="before")
    @classmethod
    def _splitting(cls, value: object) -> object:
        return "none" if value is None else value  # null column: what every workflow did before

    @field_validator("wording_languages", mode="before")
    @classmethod
    def _wording_languages(cls, value: object) -> object:
        return "class" if value is None else value  # null column: what every workflow did before

    @model_validator(mode="after")
    def _topics(self) -> WorkflowPublic:
        self.extract_topics = self.routing.rule().topic_map(str(self.key), self.labels)
        if self.thumbnail_url and not self.thumbnail_url.startswith("/"):
            self.thumbnail_url = f"/workflows/{self.key}/thumbnail"
        return self


class TrainingAccepted(BaseModel):
    """Answer of POST /workflows/{key}/train (202)."""

    request_id: uuid.UUID
    workflow_id: uuid.UUID


FIXED_HELP = (
    "character_set, text_style, ocr_engine and cropping are fixed after creation; relevant_pages "
    "is fixed once the workflow has a training sample"
)


class DocumentSpecPatch(BaseModel):
    """Document spec fields to change; a fixed field may only be sent with its current value."""

    model_config = ConfigDict(extra="forbid")

    cropping: bool | None = None
    character_set: Literal["latin", "japanese"] | None = None
    text_style: TextStyle | None = Field(default=None, description=TEXT_STYLE_HELP)
    relevant_pages: str | None = Field(default=None, description=f"{PAGES_HELP}; null: all pages")
    ocr_engine: Literal["tesseract", "paddle"] | None = None

    @field_validator("relevant_pages")
    @classmethod
    def _pages(cls, value: str | None) -> str | None:
        return normalize_relevant_pages(value)

    @field_validator("text_style")
    @classmethod
    def _text_style(cls, value: str | None) -> str | None:
        return honoured_text_style(value)

    @model_validator(mode="after")
    def _no_nulls(self) -> DocumentSpecPatch:
        nulls = [f for f in self.model_fields_set if f != "relevant_pages" and getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null")
        return self


class WorkflowUpdate(BaseModel):
    """Body of PATCH /workflows/{key}: only the fields sent change. Labels change through
    /workflows/{key}/labels, the plan through /workflows/{key}/plan."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    description: Description | None = None
    document_spec: DocumentSpecPatch | None = Field(default=None, description=FIXED_HELP)
    threshold: Probability | None = None
    class_thresholds: dict[str, Probability] | None = Field(
        default=None, description="Replaces every per-class threshold; keys are active labels"
    )
    retrain_every: int | None = Field(default=None, ge=1, le=100_000)
    routing: RoutingIn | None = Field(
        default=None, description=f"{ROUTING_HELP} Replaces the whole rule; 403 with a workflow key."
    )
    splitting: Splitting | None = Field(default=None, description=SPLITTING_HELP)
    wording_languages: WordingLanguages | None = Field(default=None, description=WORDING_LANGUAGES_HELP)

    @model_validator(mode="after")
    def _no_nulls(self) -> WorkflowUpdate:
        nulls = [f for f in self.model_fields_set if getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null (leave it out to keep it)")
        return self


class LabelIn(BaseModel):
    """Body of POST /workflows/{key}/labels and PATCH /workflows/{key}/labels/{id}."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Label


class LabelChangePublic(BaseModel):
    """One entry of a label's history."""

    model_config = ConfigDict(from_attributes=True)

    action: Literal["created", "added", "renamed", "retired", "restored"]
    old_name: str | None
    new_name: str | None
    api_key_id: uuid.UUID | None = Field(description="Key that made the change; null: the admin key")
    changed_at: datetime


class LabelPublic(BaseModel):
    """A label of the workflow, active or retired, with its history (oldest first)."""

    id: int
    name: str
    status: Literal["active", "retired"]
    extract_topic: str
    created_at: datetime
    retired_at: datetime | None
    history: list[LabelChangePublic]


class Snippets(BaseModel):
    """Ready-to-run calls of the workflow's processing endpoint; the key comes from
    the `DOCROUTE_API_KEY` environment variable."""

    url: str
    curl: str
    python: str
    javascript: str
