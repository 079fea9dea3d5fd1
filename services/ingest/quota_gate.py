"""The mailroom door's page allowance: the HTTP door's rule (`docroute.quota`), under a policy.

Uploads were reserved by the API before they reached ingest; mailroom documents are reserved
here, once their pages are counted. What a document that does not fit gets is the operator's
choice (`DOCROUTE_MAILROOM__QUOTA_POLICY`): `dead_letter` (refused with `quota_exceeded`),
`hold` (retried with backoff until pages free up) or `meter_only` (taken and metered anyway).
"""

from __future__ import annotations

import logging
import uuid
from typing import Literal, Protocol

from docroute.errors import TransientError
from docroute.quota import Charge, Refusal

logger = logging.getLogger(__name__)

QuotaPolicy = Literal["hold", "dead_letter", "meter_only"]


class PageLedger(Protocol):
    def reserve(self, workflow_id: uuid.UUID, charges: list[Charge]) -> tuple[str, Refusal | None]: ...


class QuotaHeldError(TransientError):
    """A mailroom document waits for its workflow's pages (policy `hold`)."""


class QuotaGate:
    """Admits a mailroom document if its pages fit its workflow's monthly allowance."""

    def __init__(self, ledger: PageLedger | None, policy: QuotaPolicy) -> None:
        if ledger is None and policy != "meter_only":
            raise ValueError(f"quota policy {policy!r} needs the page ledger (DOCROUTE_DATABASE__URL)")
        self._ledger = ledger
        self.policy = policy

    def refusal(self, workflow_id: uuid.UUID, document_id: str, pages: int) -> str | None:
        """None when admitted (pages reserved); why not under `dead_letter`; raises under `hold`."""
        if self._ledger is None or self.policy == "meter_only":
            return None
        plan, refused = self._ledger.reserve(workflow_id, [(uuid.UUID(document_id), pages)])
        if refused is None:
            return None
        reason = refused.describe(plan)
        if self.policy == "hold":
            logger.info(
                "holding mail: %s", reason, extra={"workflow_id": workflow_id, "document_id": document_id}
            )
            raise QuotaHeldError(reason)
        return reason
