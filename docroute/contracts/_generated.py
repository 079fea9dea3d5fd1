# Generated from schemas/ by docroute.contracts.generate: do not edit.

from __future__ import annotations

from typing import Annotated, Any, Literal
from pydantic import BaseModel, ConfigDict, Field, RootModel
from typing_extensions import TypeAliasType
from uuid import UUID


class Contracts(RootModel[Any]):
    root: Annotated[Any, Field(title="Contracts")]


class Blob(BaseModel):
    """
    Claim check for the stored original.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    ref: Annotated[str, Field(max_length=1024, pattern="^s3://[^/]+/.+")]
    """
    Where the original bytes are: s3://bucket/originals/sha256/<hex>.
    """
    sha256: Annotated[str, Field(pattern="^[0-9a-f]{64}$")]
    """
    SHA-256 of the original bytes, hex.
    """
    size: Annotated[int, Field(ge=0)]
    """
    Size of the original in bytes.
    """
    media_type: Literal["application/pdf", "image/png", "image/jpeg", "image/tiff"]
    """
    Type detected from the file's magic bytes.
    """


ProbabilitiesAdditionalProperty = TypeAliasType(
    "ProbabilitiesAdditionalProperty", Annotated[float, Field(ge=0.0, le=1.0)]
)


class Neighbour(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    sample_id: Annotated[str, Field(max_length=200)]
    """
    Id of the training sample (the document id of its upload).
    """
    label: Annotated[str, Field(max_length=100)]
    """
    Class the sample is labelled with.
    """
    similarity: Annotated[float, Field(ge=-1.0, le=1.0)]
    """
    Cosine similarity to the document, -1 to 1.
    """


class Term(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    term: Annotated[str, Field(max_length=100)]
    """
    A word or word pair, lower-cased.
    """
    weight: float
    """
    Its contribution to the logit of the predicted class.
    """


class Explanation(BaseModel):
    """
    Why the model chose `predicted_class`: the nearest labelled samples, the document's words that weighed most for it, and the distance behind `unknown`; null without a model.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    neighbours: Annotated[list[Neighbour], Field(max_length=5)]
    """
    The most similar labelled training samples (cosine similarity of embeddings), closest first.
    """
    terms: Annotated[list[Term], Field(max_length=10)]
    """
    Words of the document with the largest positive contribution to the predicted class's calibrated logit (TF-IDF value x coefficient), strongest first.
    """
    novelty: float
    """
    1 - mean cosine similarity to the nearest training samples: distance to the training set.
    """
    unknown_threshold: float
    """
    Distance above which the model version calls a document unknown.
    """


class Part(BaseModel):
    """
    Set when this document is a part of a stack that the workflow's `splitting` divided into its documents (a scanned batch): the stack and the stack's pages it holds. Absent or null: a document of its own. Page indexes are 0-based, as in `pages_used`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    parent_id: UUID
    """
    Document id of the stack the part was cut from.
    """
    index: Annotated[int, Field(ge=0)]
    """
    0-based position of the part in the stack.
    """
    count: Annotated[int, Field(ge=1)]
    """
    How many parts the stack was divided into.
    """
    first_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's first page in the stack.
    """
    last_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's last page in the stack (inclusive).
    """


class DocumentClassified(BaseModel):
    """
    Probabilities per class from one model version. v2 adds `part` (a part of a split stack); v3 adds `boundary_confidence` (a part `splitting: auto` cut); v4 adds `unknown_reason` (why an unknown document is unknown). A document that is no part and not unknown is still sent as v1, a part without `boundary_confidence` as v2, an unknown document without a reason as the version its other fields need.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id; also the Kafka key and the CloudEvents subject.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    purpose: Literal["processing", "training", "preview"]
    """
    Why the document entered the pipeline: `processing` is routed; `training` becomes a labelled sample; `preview` runs a candidate model without routing.
    """
    blob: Blob
    """
    Claim check for the stored original.
    """
    ocr_ref: Annotated[str, Field(max_length=1024, pattern="^s3://[^/]+/.+")]
    """
    The OCR JSON in S3.
    """
    page_count: Annotated[int, Field(ge=1)]
    """
    Pages in the document.
    """
    model_version: Annotated[int, Field(ge=0)]
    """
    Model version used; 0 means no model yet.
    """
    embedder_id: str | None = None
    """
    Embedder of that version; null without a model.
    """
    probabilities: dict[str, ProbabilitiesAdditionalProperty]
    """
    Calibrated probability for every class of the model version; sums to 1.
    """
    predicted_class: str | None = None
    """
    Most probable class, null without a model.
    """
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    """
    Probability of the predicted class (0 without a model).
    """
    unknown: bool | None = None
    """
    True when the document is unlike every class of the training set.
    """
    explanation: Explanation | None = None
    """
    Why the model chose `predicted_class`: the nearest labelled samples, the document's words that weighed most for it, and the distance behind `unknown`; null without a model.
    """
    part: Part | None = None
    """
    Set when this document is a part of a stack that the workflow's `splitting` divided into its documents (a scanned batch): the stack and the stack's pages it holds. Absent or null: a document of its own. Page indexes are 0-based, as in `pages_used`.
    """
    boundary_confidence: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    """
    How sure the boundary model of `splitting: auto` was of this part's boundaries: the probability, over the stack's divisions as the model weighs them, that exactly these pages make one part (its first page begins a document, the page after its last begins the next one, no page inside it begins one, and a part of its length is as likely as the workflow's samples of its class make it). The router sends a part below the workflow's `threshold` to review (boundary in doubt), whatever its class's confidence. Absent or null: not a part, or a part whose boundaries no model guessed (separator sheets, every page, a person's division).
    """
    unknown_reason: Annotated[str | None, Field(max_length=500)] = None
    """
    Set when `unknown` is true: why, in words, with the view of the model version's unknown rule that decided and its figure against its limit (the background documents' probability, the wording of the classes' samples in the document's language, or a distance to the predicted class's samples). Absent or null: the document is not unknown, or it was classified before v4.
    """


class Original(BaseModel):
    """
    Where the failed message was.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    topic: str
    """
    Topic of the failed message.
    """
    partition: int | None = None
    """
    Partition of the failed message.
    """
    offset: int | None = None
    """
    Offset of the failed message.
    """
    event_id: str | None = None
    """
    CloudEvents id of the failed message, if it parsed.
    """
    event_type: str | None = None
    """
    CloudEvents type of the failed message, if it parsed.
    """
    excerpt: Annotated[str | None, Field(max_length=2000)] = None
    """
    Start of the raw message, when it did not parse.
    """


class DocumentFailed(BaseModel):
    """
    Dead letter: a message that could not be processed, with its reason and the original reference.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: str | None = None
    """
    Document id when known.
    """
    workflow_id: str | None = None
    """
    Workflow key when known.
    """
    parent_id: str | None = None
    """
    Document id of the zip archive a rejected member came from; null otherwise.
    """
    stage: Literal["ingest", "ocr", "classify", "router", "trainer", "api"]
    """
    Service that gave up.
    """
    reason_code: Annotated[str, Field(pattern="^[a-z_]+$")]
    """
    Machine-readable reason.
    """
    reason: Annotated[str, Field(max_length=2000)]
    """
    Human-readable reason, shown by the API.
    """
    original: Original
    """
    Where the failed message was.
    """
    blob_ref: str | None = None
    """
    The stored original, when there is one.
    """
    filename: str | None = None
    """
    File name, when known.
    """


class Origin(BaseModel):
    """
    Which door the document came through and what it was called there.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    door: Literal["mailroom", "upload"]
    """
    `mailroom` (mailroom.incoming topic) or `upload` (HTTP API).
    """
    filename: Annotated[str, Field(max_length=255)]
    """
    File name as sent, without directories.
    """
    mail_id: Annotated[str | None, Field(max_length=200)] = None
    """
    Id of the mail item (mailroom door).
    """
    member_path: Annotated[str | None, Field(max_length=1024)] = None
    """
    Path of the member inside a zip archive, when expanded from one.
    """
    upload_id: Annotated[str | None, Field(max_length=200)] = None
    """
    Id of the HTTP upload (upload door).
    """


class DivisionItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Id of the new part.
    """
    index: Annotated[int, Field(ge=0)]
    """
    0-based position of the part in the corrected stack.
    """
    count: Annotated[int, Field(ge=1)]
    """
    How many parts the corrected stack has.
    """
    first_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's first page in the stack.
    """
    last_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's last page in the stack (inclusive).
    """


class DocumentReceived(BaseModel):
    """
    A document passed intake: type detected, caps checked, original stored under its hash. v2 adds `part` (a part of a split stack); v3 adds `boundary_confidence` (a part `splitting: auto` cut) and `division` (a person's division of a stack, from review). An event that sets neither is still sent as v2, one that sets no `part` either as v1.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id; also the Kafka key and the CloudEvents subject.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    purpose: Literal["processing", "training", "preview"]
    """
    Why the document entered the pipeline: `processing` is routed; `training` becomes a labelled sample; `preview` runs a candidate model without routing.
    """
    label: Annotated[str | None, Field(max_length=100)] = None
    """
    Class the sample is labelled with (training only); null when unlabelled.
    """
    parent_id: Annotated[str | None, Field(max_length=200)] = None
    """
    Document id of the zip archive this document was a member of, or of the stack it is a part of (see `part`); null otherwise.
    """
    origin: Origin
    """
    Which door the document came through and what it was called there.
    """
    blob: Blob
    """
    Claim check for the stored original.
    """
    page_count: Annotated[int, Field(ge=1)]
    """
    Pages (PDF pages or image frames).
    """
    model_version: Annotated[int | None, Field(ge=1)] = None
    """
    Preview only: the model version to classify with instead of the live one (null: the live one).
    """
    part: Part | None = None
    """
    Set when this document is a part of a stack that the workflow's `splitting` divided into its documents (a scanned batch): the stack and the stack's pages it holds. Absent or null: a document of its own. Page indexes are 0-based, as in `pages_used`.
    """
    boundary_confidence: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    """
    How sure the boundary model of `splitting: auto` was of this part's boundaries: the probability, over the stack's divisions as the model weighs them, that exactly these pages make one part (its first page begins a document, the page after its last begins the next one, no page inside it begins one, and a part of its length is as likely as the workflow's samples of its class make it). The router sends a part below the workflow's `threshold` to review (boundary in doubt), whatever its class's confidence. Absent or null: not a part, or a part whose boundaries no model guessed (separator sheets, every page, a person's division).
    """
    division: Annotated[list[DivisionItem] | None, Field(max_length=1000)] = None
    """
    Set only on a stack the API sends again after a person corrected its division in review (`POST /documents/{id}/boundaries`): the parts OCR is to cut from it, each a new document (its own id, chosen by the API), in page order. Parts whose pages did not change keep their ids and are not listed. OCR cuts each part's original and sends it on as a document (`part`), and does not divide the stack again. Absent or null: an ordinary document.
    """


class DocumentRouted(BaseModel):
    """
    Routing decision: to extract.<class> or to review.pending, and why. v2 adds `part` (a part of a split stack); v3 adds `boundary_confidence` (a part `splitting: auto` cut), so an extraction service sees how sure the split was. A document that is no part is still sent as v1, a part without `boundary_confidence` as v2.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id; also the Kafka key and the CloudEvents subject.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    route: Literal["extract", "review"]
    """
    `extract` (confident) or `review` (doubtful, unknown or no model).
    """
    topic: str
    """
    Topic the document was sent to.
    """
    document_class: str | None = None
    """
    Class routed to (extract) or predicted (review); null without a model.
    """
    confidence: Annotated[float, Field(ge=0.0, le=1.0)]
    """
    Probability of the predicted class.
    """
    threshold: Annotated[float, Field(ge=0.0, le=1.0)]
    """
    Threshold applied to this class.
    """
    model_version: Annotated[int, Field(ge=0)]
    """
    Model version that classified it.
    """
    reason: Annotated[str, Field(max_length=500)]
    """
    Why this route, in words.
    """
    probabilities: dict[str, ProbabilitiesAdditionalProperty]
    """
    Calibrated probability for every class of the model version; sums to 1.
    """
    blob: Blob
    """
    Claim check for the stored original.
    """
    ocr_ref: Annotated[str, Field(max_length=1024, pattern="^s3://[^/]+/.+")]
    """
    The OCR JSON in S3.
    """
    page_count: Annotated[int, Field(ge=1)]
    """
    Pages in the document.
    """
    part: Part | None = None
    """
    Set when this document is a part of a stack that the workflow's `splitting` divided into its documents (a scanned batch): the stack and the stack's pages it holds. Absent or null: a document of its own. Page indexes are 0-based, as in `pages_used`.
    """
    boundary_confidence: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    """
    How sure the boundary model of `splitting: auto` was of this part's boundaries: the probability, over the stack's divisions as the model weighs them, that exactly these pages make one part (its first page begins a document, the page after its last begins the next one, no page inside it begins one, and a part of its length is as likely as the workflow's samples of its class make it). A part below the workflow's `threshold` was sent to review (boundary in doubt), whatever its class's confidence; one at or above it was routed by its class. Absent or null: not a part, or a part whose boundaries no model guessed (separator sheets, every page, a person's division).
    """


class Document(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id of the part.
    """
    first_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's first page in the stack.
    """
    last_page: Annotated[int, Field(ge=0)]
    """
    0-based index of its last page (inclusive).
    """


class Separator(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    page: Annotated[int, Field(ge=0)]
    """
    0-based index of the separator page in the stack.
    """
    kind: Literal["blank", "barcode"]
    """
    `blank` (no ink beyond scanner noise) or `barcode` (a sheet carrying little but a barcode, or a sheet carrying a Kodak patch code: `code` is then `PATCH 1`, `PATCH 2`, `PATCH 3`, `PATCH 4`, `PATCH 6` or `PATCH T`).
    """
    code: Annotated[str | None, Field(max_length=200)] = None
    """
    What the barcode reads, when it is one.
    """


class DocumentSplit(BaseModel):
    """
    A file the workflow's `splitting` divided into the documents it holds (a scanned stack). Each part goes on as a document of its own (`document.received` v2 with `part`, its own original holding only its pages) through OCR, classify and router; the stack itself is not classified. Every page of the stack is in exactly one part or is a separator; separators belong to no part. v2 adds `mode: auto`; a split at separators or every page is still sent as v1.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id of the stack; also the Kafka key and the CloudEvents subject.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    mode: Literal["separator", "every_page", "auto"]
    """
    The workflow's splitting when the stack was divided.
    """
    page_count: Annotated[int, Field(ge=1)]
    """
    Pages in the stack.
    """
    documents: Annotated[list[Document], Field(min_length=1)]
    """
    The documents found in the stack, its parts, in page order; a part's id derives from the stack's id and its pages, so a redelivered stack names the same parts again.
    """
    separators: list[Separator]
    """
    The separator sheets found, in page order; they belong to no part; none with `auto`.
    """


class ReplacedByItem(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id of the part.
    """
    first_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's first page in the stack.
    """
    last_page: Annotated[int, Field(ge=0)]
    """
    0-based index of the part's last page in the stack (inclusive).
    """


class ReroutedTo(BaseModel):
    """
    A class correction: where the document went instead (absent for a boundary correction). The topic's consumer gets the document's new `document.routed`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    topic: Annotated[str, Field(max_length=249, min_length=1)]
    """
    The topic the document was routed to after the correction.
    """
    document_class: Annotated[str, Field(max_length=100, min_length=1)]
    """
    The class a person gave it.
    """


class DocumentSuperseded(BaseModel):
    """
    A recall: a document already routed to extraction was superseded by a person, so drop or undo what was done with it. Either a correction of where its stack's documents begin (review: `POST /documents/{stack}/boundaries`): its pages are now in the new documents `replaced_by` names, each routed as a document of its own (`stack_id`, `first_page`, `last_page` and `replaced_by` set; such a recall goes out as v1); or a correction of its class in review (`POST /documents/{id}/review` on a routed document): it was routed again, as `rerouted_to` says, to another topic (`rerouted_to` set, the stack's fields absent). Sent once per correction on the topic the document was routed to and on `document.routed`; a repeated request sends it again with the same event id, so deduplicate by id.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Id of the document recalled (the `document_id` of its `document.routed`); also the Kafka key and the CloudEvents subject.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    stack_id: UUID | None = None
    """
    Id of the stack whose division changed: the recalled part's `part.parent_id`, or the recalled document's own id when it was read as one document and a person divided it.
    """
    topic: Annotated[str, Field(max_length=249, min_length=1)]
    """
    The extraction topic the document had been routed to (and is recalled from).
    """
    document_class: Annotated[str, Field(max_length=100, min_length=1)]
    """
    The class it had been routed as.
    """
    first_page: Annotated[int | None, Field(ge=0)] = None
    """
    0-based index of the recalled document's first page in the stack.
    """
    last_page: Annotated[int | None, Field(ge=0)] = None
    """
    0-based index of the recalled document's last page in the stack (inclusive).
    """
    replaced_by: Annotated[list[ReplacedByItem] | None, Field(min_length=1)] = None
    """
    The stack's documents after the correction that hold the recalled document's pages, in page order; each is read, classified and routed as a document of its own (`document.routed` v2 with `part`), or waits in review.
    """
    corrected_by: Annotated[str, Field(max_length=200, min_length=1)]
    """
    Who made the correction (the reviewer's name).
    """
    reason: Annotated[str, Field(max_length=2000)]
    """
    Why, in words: the stack's parts before and after the correction, or the class before and after.
    """
    rerouted_to: ReroutedTo | None = None
    """
    A class correction: where the document went instead (absent for a boundary correction). The topic's consumer gets the document's new `document.routed`.
    """


class DocumentTextExtracted(BaseModel):
    """
    Text of the relevant pages extracted; words with boxes live in S3. v2 adds `part` (a part of a split stack) and `escalated_pages`; v3 adds `boundary_confidence` (a part `splitting: auto` cut); v4 adds `text` (the text the classifier reads, so classify need not fetch the OCR JSON). A document that sets none of them is still sent as v1, one without `boundary_confidence` and `text` as v2, one without `text` as v3.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    document_id: UUID
    """
    Document id; also the Kafka key and the CloudEvents subject.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    purpose: Literal["processing", "training", "preview"]
    """
    Why the document entered the pipeline: `processing` is routed; `training` becomes a labelled sample; `preview` runs a candidate model without routing.
    """
    label: Annotated[str | None, Field(max_length=100)] = None
    """
    Class the sample is labelled with (training only); null when unlabelled.
    """
    blob: Blob
    """
    Claim check for the stored original.
    """
    ocr_ref: Annotated[str, Field(max_length=1024, pattern="^s3://[^/]+/.+")]
    """
    The OCR JSON (pages, words, boxes, confidences) in S3.
    """
    page_count: Annotated[int, Field(ge=1)]
    """
    Pages in the document.
    """
    pages_used: list[int]
    """
    0-based indexes of the pages read for classification.
    """
    sources: list[Literal["text-layer", "tesseract", "paddle"]]
    """
    How each used page was read: its text layer, or the OCR engine whose text was kept.
    """
    escalated_pages: list[int] | None = None
    """
    0-based indexes of the used pages the fast engine (Tesseract) read poorly (mean confidence or text below the OCR service's escalation settings) and the stronger one (PaddleOCR) read again; their `sources` entry names the engine whose text was kept, the OCR JSON what the first engine read. Absent or null: none.
    """
    text_chars: Annotated[int, Field(ge=0)]
    """
    Characters of text extracted.
    """
    text_preview: Annotated[str | None, Field(max_length=500)] = None
    """
    First characters of the text, for logs and review lists.
    """
    text: Annotated[str | None, Field(max_length=100000)] = None
    """
    The text as the classifier reads it: the first characters of the pages read, up to the OCR service's `DOCROUTE_INLINE_TEXT_CHARS` (by default the classifier's `DOCROUTE_MAX_TEXT_CHARS`, 20,000), the whole text when `text_chars` is no more. A consumer that needs more than it holds, or the words and boxes, reads `ocr_ref`. Absent or null: not carried (an OCR service with `DOCROUTE_INLINE_TEXT_CHARS=0`, which keeps sending v3 or older for consumers that do not read v4 yet).
    """
    model_version: Annotated[int | None, Field(ge=1)] = None
    """
    Preview only: the model version to classify with instead of the live one (null: the live one).
    """
    part: Part | None = None
    """
    Set when this document is a part of a stack that the workflow's `splitting` divided into its documents (a scanned batch): the stack and the stack's pages it holds. Absent or null: a document of its own. Page indexes are 0-based, as in `pages_used`.
    """
    boundary_confidence: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    """
    How sure the boundary model of `splitting: auto` was of this part's boundaries: the probability, over the stack's divisions as the model weighs them, that exactly these pages make one part (its first page begins a document, the page after its last begins the next one, no page inside it begins one, and a part of its length is as likely as the workflow's samples of its class make it). The router sends a part below the workflow's `threshold` to review (boundary in doubt), whatever its class's confidence. Absent or null: not a part, or a part whose boundaries no model guessed (separator sheets, every page, a person's division).
    """


class Attachment(BaseModel):
    """
    One attachment: exactly one of inline base64 (size-capped) or an S3 reference.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    filename: Annotated[str, Field(max_length=255)]
    """
    File name of the attachment.
    """
    content_base64: str | None = None
    """
    Inline content, base64; capped by the intake's inline limit.
    """
    s3_ref: Annotated[str | None, Field(max_length=1024, pattern="^s3://[^/]+/.+")] = (
        None
    )
    """
    Reference to the attachment in S3 instead of inline content. On mailroom.incoming only the operator's inbox (s3://<inbox bucket>/<inbox prefix><workflow_id>/...); on ingest.uploads only the API's uploads/<upload id>. Anything else is dead-lettered with ref_forbidden (schemas/README.md, the doors' trust model).
    """
    document_id: UUID | None = None
    """
    Document id chosen by the API's upload door (ingest.uploads). Ignored on mailroom.incoming, where ids derive from the workflow, mail id, attachment position and filename.
    """


class MailReceived(BaseModel):
    """
    A mail item on mailroom.incoming: attachments inline or by S3 reference, for one workflow.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    mail_id: Annotated[str, Field(max_length=200, min_length=1)]
    """
    Sender's id of the mail item; document ids derive from it, so a redelivered mail yields the same documents.
    """
    door: Literal["mailroom", "upload"] | None = None
    """
    `mailroom` for mail items from outside; `upload` for files the HTTP API took in.
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    purpose: Literal["processing", "training", "preview"] | None = None
    """
    Why the document entered the pipeline: `processing` is routed; `training` becomes a labelled sample; `preview` runs a candidate model without routing.
    """
    label: Annotated[str | None, Field(max_length=100)] = None
    """
    Class the sample is labelled with (training only); null when unlabelled.
    """
    sender: Annotated[str | None, Field(max_length=320)] = None
    """
    Sender address, informational.
    """
    subject: Annotated[str | None, Field(max_length=1000)] = None
    """
    Mail subject, informational.
    """
    attachments: Annotated[list[Attachment], Field(max_length=100, min_length=1)]
    """
    The attachments; each becomes one document (a zip: one per member).
    """
    model_version: Annotated[int | None, Field(ge=1)] = None
    """
    Preview only: the model version to classify with instead of the live one (null: the live one).
    """


class ModelPromoted(BaseModel):
    """
    Someone made a version live by hand (promote, pin or roll back). Sent on the `model.published` topic so that one ordered partition decides the live version: the last event wins.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    workflow_id: UUID
    """
    Key (UUID) of the workflow.
    """
    promotion_id: UUID
    """
    Id of the request; a redelivered event is recognised by it.
    """
    version: Annotated[int, Field(ge=0)]
    """
    The version that is live from now on; 0 means no model (every document goes to review).
    """
    artifact_ref: Annotated[
        str | None, Field(max_length=1024, pattern="^s3://[^/]+/.+")
    ]
    """
    Prefix of the version in S3; null for version 0.
    """
    action: Literal["promote", "pin", "rollback"]
    """
    `promote`: live until a better version passes the gate; `pin`: live, and new versions stay candidates until another promotion; `rollback`: back to the version live before, pinned like `pin`.
    """
    pinned: bool
    """
    True while new versions must not go live on their own.
    """
    previous_version: Annotated[int | None, Field(ge=0)] = None
    """
    The version that was live before.
    """
    requested_by: Annotated[str | None, Field(max_length=200)] = None
    """
    Who asked (API key name or id).
    """
    reason: Annotated[str | None, Field(max_length=1000)] = None
    """
    Why, in the requester's words.
    """


class Metrics(BaseModel):
    """
    Cross-validated figures.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    accuracy: float
    """
    Cross-validated accuracy.
    """
    macro_f1: float
    """
    Cross-validated macro-F1.
    """
    ece: float | None = None
    """
    Expected calibration error after temperature scaling.
    """
    n_samples: int
    """
    Labelled samples trained on.
    """
    training_seconds: float | None = None
    """
    Wall time of training and evaluation.
    """


class Evaluation(BaseModel):
    """
    The promotion gate's comparison with the live version on the same samples; null for a first version.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    method: Literal["first_version", "unseen_samples", "same_folds", "pinned"]
    """
    `unseen_samples`: the live model scored on samples it never trained on against the candidate's out-of-fold predictions; `same_folds`: both recipes cross-validated on the same folds; `pinned`: not compared, a pinned version holds.
    """
    live_version: int | None = None
    """
    The version compared against.
    """
    n_samples: int
    """
    Samples both were scored on.
    """
    candidate_accuracy: float | None = None
    """
    Candidate's accuracy on them.
    """
    live_accuracy: float | None = None
    """
    Live version's accuracy on them.
    """
    candidate_macro_f1: float | None = None
    """
    Candidate's macro-F1 on them.
    """
    live_macro_f1: float | None = None
    """
    Live version's macro-F1 on them.
    """


class Boundary(BaseModel):
    """
    How well the version's boundary model (`splitting: auto`, published with the classifier as boundary.safetensors + boundary.json) divides stacks composed of its own samples, out-of-fold: the page models and the combiner that decide a stack never saw its samples. Null or absent: the version has no boundary model (its samples have one page each, or it predates them); an auto workflow then reads a stack as one document.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    precision: float | None
    """
    Share of the boundaries found that are true (null: none found).
    """
    recall: float | None
    """
    Share of the true boundaries found.
    """
    exact: float
    """
    Share of the composed stacks split exactly right.
    """
    stacks: Annotated[int, Field(ge=0)]
    """
    Stacks composed of 2-5 samples each.
    """
    boundaries: Annotated[int, Field(ge=0)]
    """
    True boundaries in them (pages where a sample begins, but a stack's first).
    """
    continuations: Annotated[int, Field(ge=0)]
    """
    Pages that continue a sample: those a split must not cut at.
    """


class ModelPublished(BaseModel):
    """
    An immutable model version was published to S3. v2 adds `boundary`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    version: Annotated[int, Field(ge=1)]
    """
    Version number, from 1.
    """
    artifact_ref: Annotated[str, Field(max_length=1024, pattern="^s3://[^/]+/.+")]
    """
    Prefix of the version in S3: s3://bucket/models/<workflow>/v<N>/.
    """
    embedder_id: str
    """
    Embedder the version was trained with; prediction must use the same.
    """
    labels: list[str]
    """
    Classes the version predicts.
    """
    metrics: Metrics
    """
    Cross-validated figures.
    """
    live: bool
    """
    True when this version now serves predictions; false when it stays a candidate (see `reason`).
    """
    reason: Annotated[str | None, Field(max_length=1000)] = None
    """
    Why the version went live or stayed a candidate (the promotion gate's verdict).
    """
    evaluation: Evaluation | None = None
    """
    The promotion gate's comparison with the live version on the same samples; null for a first version.
    """
    boundary: Boundary | None = None
    """
    How well the version's boundary model (`splitting: auto`, published with the classifier as boundary.safetensors + boundary.json) divides stacks composed of its own samples, out-of-fold: the page models and the combiner that decide a stack never saw its samples. Null or absent: the version has no boundary model (its samples have one page each, or it predates them); an auto workflow then reads a stack as one document.
    """


class SampleDeleted(BaseModel):
    """
    Documents a model may hold as training samples were deleted: every model version of the workflow must forget them now (embeddings, nearest samples), not at the next training. The same ids are recorded in S3 under models/<workflow>/deleted/ before this event is sent.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    workflow_id: UUID
    """
    Key (UUID) of the workflow the samples belonged to.
    """
    sample_ids: Annotated[list[UUID], Field(max_length=10000, min_length=1)]
    """
    Ids of the deleted documents (the sample ids the models store).
    """
    deleted_by: Annotated[str | None, Field(max_length=200)] = None
    """
    Who deleted them: an API key's name, or retention.
    """


class SampleLabelled(BaseModel):
    """
    A training sample got a label (or lost it: label null).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    sample_id: UUID
    """
    Sample id (the document id of the training upload).
    """
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    label: Annotated[str | None, Field(max_length=100)]
    """
    Class the sample is labelled with (training only); null when unlabelled.
    """
    ocr_ref: Annotated[str, Field(max_length=1024, pattern="^s3://[^/]+/.+")]
    """
    The sample's OCR JSON in S3.
    """
    labelled_by: Annotated[str | None, Field(max_length=200)] = None
    """
    Who labelled it.
    """


class TrainingRequested(BaseModel):
    """
    Someone asked for a new model version now.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    request_id: UUID
    """
    Id of the request.
    """
    requested_by: Annotated[str | None, Field(max_length=200)] = None
    """
    Who asked.
    """


class DocumentSpec(BaseModel):
    """
    How to read the documents.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    cropping: bool
    """
    Crop photographed/scanned pages to the document before OCR.
    """
    character_set: Literal["latin", "japanese"]
    """
    Latin languages or Japanese.
    """
    text_style: Literal["printed", "handwritten", "both"]
    """
    Which text to consider.
    """
    relevant_pages: str | None = None
    """
    Pages used for classification: null (all), 'first N', '1,3', '1-3'.
    """
    ocr_engine: Literal["tesseract", "paddle"] | None = None
    """
    OCR engine for pages without a text layer.
    """


ClassThresholdsAdditionalProperty = TypeAliasType(
    "ClassThresholdsAdditionalProperty", Annotated[float, Field(ge=0.0, le=1.0)]
)


ClassTopicsAdditionalProperty = TypeAliasType(
    "ClassTopicsAdditionalProperty",
    Annotated[str, Field(max_length=249, min_length=1, pattern="^[A-Za-z0-9._-]+$")],
)


class Routing(BaseModel):
    """
    Where the workflow's confident documents go, per class. Absent: the shared default (extract.<class>), what every workflow did before.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    naming: Literal["shared", "per_workflow"]
    """
    shared: extract.<class>; per_workflow: extract.<workflow key>.<class>.
    """
    class_topics: dict[str, ClassTopicsAdditionalProperty] | None = None
    """
    Topics the operator named per class; they override the naming.
    """


class WorkflowUpdated(BaseModel):
    """
    The full current settings of a workflow (last event per key wins). v2 adds `splitting`. v3 adds `auto` to `splitting`; an update whose splitting is not `auto` is still sent as v2 (or v1). v4 adds `wording_languages`; an update whose wording_languages is `class` (or absent) is still sent as v3 (or older).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    workflow_id: UUID
    """
    Key (UUID) of the workflow the document belongs to.
    """
    name: Annotated[str, Field(max_length=200)]
    """
    Display name.
    """
    labels: list[str]
    """
    Active class labels.
    """
    document_spec: DocumentSpec
    """
    How to read the documents.
    """
    threshold: Annotated[float, Field(ge=0.0, le=1.0)]
    """
    Confidence at or above which a document is routed automatically.
    """
    class_thresholds: dict[str, ClassThresholdsAdditionalProperty]
    """
    Per-class overrides of the threshold.
    """
    retrain_every: Annotated[int, Field(ge=1)]
    """
    Train a new version after this many new labels.
    """
    archived: bool
    """
    Archived workflows accept no documents.
    """
    routing: Routing | None = None
    """
    Where the workflow's confident documents go, per class. Absent: the shared default (extract.<class>), what every workflow did before.
    """
    splitting: Literal["none", "separator", "every_page", "auto"] | None = None
    """
    How a file holding several documents (a scanned stack) is divided into them before classification: `separator` at separator sheets (blank pages, or barcode sheets, which alone count when a stack has any), `every_page` one document per page, `auto` where the boundary model of the live version (learnt from the samples, published with the classifier) sees a document begin. Absent or null: `none`, one file is one document (what every workflow did before); such an update is still sent as v1.
    """
    wording_languages: Literal["class", "workflow"] | None = None
    """
    Where the unknown rule's wording view (per-class character n-gram models) judges a document: `class`, only in a language its predicted class's samples are in (a class is recognised by meaning in languages it has no samples in); `workflow`, in any language of the workflow's samples (more documents of untrained kinds caught, but a class arriving in a language only other classes have samples in goes to review). Taken by the next training. Absent or null: `class`, what every workflow did before; such an update is still sent as v3 (or older).
    """
