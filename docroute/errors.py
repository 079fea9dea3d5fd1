"""The error tree: the branch an error sits on decides what the bus does with the message.

DocrouteError
├── PermanentError          bad input: dead-letter with a reason code, commit, move on
│   ├── InvalidEventError   a message that does not match its contract
│   ├── UnknownWorkflowError
│   └── BlobNotFoundError
└── TransientError          a dependency is down: back off, retry, do not commit
    ├── BrokerUnavailableError
    ├── StorageUnavailableError
    └── ModelFromNewerReleaseError
"""

from __future__ import annotations


class DocrouteError(Exception):
    """Root of every error docroute raises on purpose."""


class PermanentError(DocrouteError):
    """Retrying cannot help; the message goes to the dead-letter topic with `reason_code`."""

    reason_code = "unprocessable"

    def __init__(self, message: str, *, reason_code: str | None = None) -> None:
        super().__init__(message)
        if reason_code is not None:
            self.reason_code = reason_code


class InvalidEventError(PermanentError):
    """A message is not valid JSON or does not validate against its schema."""

    reason_code = "invalid_event"


class UnknownWorkflowError(PermanentError):
    """A document names a workflow that does not exist or is archived."""

    reason_code = "unknown_workflow"


class BlobNotFoundError(PermanentError):
    """An S3 reference points at nothing."""

    reason_code = "blob_not_found"


class TransientError(DocrouteError):
    """A dependency failed in a way that retrying later can fix."""


class BrokerUnavailableError(TransientError):
    """The Kafka broker did not answer or refused the request."""


class StorageUnavailableError(TransientError):
    """The S3 endpoint did not answer or failed server-side."""


class ModelFromNewerReleaseError(TransientError):
    """The live model was written by a newer release than this process (a rolling update under
    way): retried, so the message waits for, or moves to, a replica that reads it, instead of
    every document of the workflow being dead-lettered until the update ends."""
