"""Every topic name, in pipeline order, with who writes and who reads it (see schemas/README.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAILROOM_INCOMING = "mailroom.incoming"  # mail.received from outside -> ingest
INGEST_UPLOADS = "ingest.uploads"  # mail.received from the API's upload door -> ingest
DOCUMENT_RECEIVED = "document.received"  # ingest -> ocr
DOCUMENT_TEXT_EXTRACTED = "document.text-extracted"  # ocr -> classify, api, trainer (unlabelled samples)
DOCUMENT_SPLIT = "document.split"  # ocr -> api: a stack divided into its parts (workflow splitting)
DOCUMENT_CLASSIFIED = "document.classified"  # classify -> router, api (previews)
DOCUMENT_ROUTED = "document.routed"  # router -> api: every decision, for results
REVIEW_PENDING = "review.pending"  # router -> human review
DEAD_LETTER = "document.dead-letter"  # any service -> api: document.failed with its reason
SAMPLE_LABELLED = "sample.labelled"  # api -> trainer
TRAINING_REQUESTED = "training.requested"  # api -> trainer
MODEL_PUBLISHED = "model.published"  # trainer -> classify (every replica), api
# model.promoted (api) shares the model.published topic: its one ordered partition decides
# which version is live, the last event of either type winning.
MODEL_PROMOTED = MODEL_PUBLISHED
WORKFLOW_UPDATED = "workflow.updated"  # api -> every service (every replica)
SAMPLE_DELETED = "sample.deleted"  # api -> classify (every replica): forget deleted samples now

EXTRACT_PREFIX = "extract."


@dataclass(frozen=True)
class TopicSpec:
    """A topic and how to create it."""

    name: str
    partitions: int | None = None  # None: the configured default
    retention_ms: int | None = None  # None: the broker's default


# Settings topics are read whole by every replica; one partition keeps them in order.
PIPELINE_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(MAILROOM_INCOMING),
    TopicSpec(INGEST_UPLOADS),
    TopicSpec(DOCUMENT_RECEIVED),
    TopicSpec(DOCUMENT_TEXT_EXTRACTED),
    TopicSpec(DOCUMENT_SPLIT),
    TopicSpec(DOCUMENT_CLASSIFIED),
    TopicSpec(DOCUMENT_ROUTED),
    TopicSpec(REVIEW_PENDING),
    TopicSpec(DEAD_LETTER),
    TopicSpec(SAMPLE_LABELLED),
    TopicSpec(TRAINING_REQUESTED),
    TopicSpec(MODEL_PUBLISHED, partitions=1),
    TopicSpec(WORKFLOW_UPDATED, partitions=1),
    TopicSpec(SAMPLE_DELETED, partitions=1),
)


def class_slug(label: str) -> str:
    """Topic-safe slug of a class label: `W-9` -> `w-9`, `Tax Form 1040` -> `tax-form-1040`."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", label.strip().lower()).strip("-.")
    if not slug:
        raise ValueError(f"label {label!r} has no letters or digits to name a topic with")
    return slug[:200]


def extract_topic(label: str) -> str:
    """Topic of the downstream extraction service for a class."""
    return EXTRACT_PREFIX + class_slug(label)
