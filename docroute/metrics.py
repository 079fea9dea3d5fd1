"""Prometheus metrics shared by every service (names follow Prometheus conventions)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_PROCESSED = Counter(
    "docroute_messages_processed_total",
    "Messages a service handled, by outcome (ok, dead_lettered, retried).",
    ["service", "event_type", "outcome"],
)
PROCESSING_SECONDS = Histogram(
    "docroute_processing_seconds",
    "Wall time to handle one message, including producing its output (a batch's time shared out"
    " over its messages).",
    ["service", "event_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BATCH_MESSAGES = Histogram(
    "docroute_batch_messages",
    "Messages a batch handler took in one call (those ready at once; docroute.batches).",
    ["service"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
DEAD_LETTERED = Counter(
    "docroute_dead_lettered_total",
    "Messages sent to the dead-letter topic, by reason code.",
    ["service", "reason_code"],
)
TRANSIENT_ERRORS = Counter(
    "docroute_transient_errors_total",
    "Retries after a dependency failed (S3, broker).",
    ["service", "error"],
)
DOCUMENTS = Counter(
    "docroute_documents_total",
    "Documents that passed a stage.",
    ["stage"],
)
PAGES = Counter(
    "docroute_pages_total",
    "Pages that passed a stage, by how the text was read.",
    ["stage", "source"],
)
ROUTED = Counter(
    "docroute_routed_total",
    "Routing decisions by route (extract, review) and class.",
    ["route", "document_class"],
)
CONFIDENCE = Histogram(
    "docroute_confidence",
    "Confidence of the predicted class.",
    ["document_class"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0),
)
CONSUMER_LAG = Gauge(
    "docroute_consumer_lag_messages",
    "Messages between a partition's high watermark and this consumer's position.",
    ["service", "topic", "partition"],
)
MODEL_VERSION = Gauge(
    "docroute_model_version",
    "Model version serving predictions (0: none).",
    ["workflow"],
)
TRAINING_SECONDS = Histogram(
    "docroute_training_seconds",
    "Time to train and evaluate one model version.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
MODEL_ACCURACY = Gauge(
    "docroute_model_accuracy_ratio",
    "Cross-validated accuracy of the latest version.",
    ["workflow"],
)
MESSAGES_IN_FLIGHT = Gauge(
    "docroute_messages_in_flight",
    "Messages a service is handling now (taken from the topic, not yet committed).",
    ["service"],
)
