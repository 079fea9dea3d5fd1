"""The mailroom's quota policy: dead-letter, hold or meter only what does not fit."""

from __future__ import annotations

import uuid

import pytest

from docroute.quota import Charge, Refusal
from services.ingest.quota_gate import QuotaGate, QuotaHeldError

WORKFLOW = uuid.uuid4()


class Allowance:
    """A page allowance in memory, with the ledger's answers (the real one is tested on databases)."""

    def __init__(self, pages: int) -> None:
        self.pages, self.reserved = pages, 0
        self.calls: list[list[Charge]] = []

    def reserve(self, workflow_id: uuid.UUID, charges: list[Charge]) -> tuple[str, Refusal | None]:
        self.calls.append(charges)
        wanted = sum(p for _, p in charges)
        if self.reserved + wanted > self.pages:
            return "free", Refusal("2026-11", self.pages, 0, self.reserved, wanted)
        self.reserved += wanted
        return "free", None


def test_dead_letter_refuses_what_does_not_fit_with_the_figures() -> None:
    gate = QuotaGate(Allowance(5), "dead_letter")
    assert gate.refusal(WORKFLOW, str(uuid.uuid4()), 3) is None
    reason = gate.refusal(WORKFLOW, str(uuid.uuid4()), 3)
    assert reason is not None
    assert "3 pages do not fit" in reason and "'free' allows 5 pages" in reason and "3 reserved" in reason
    assert gate.refusal(WORKFLOW, str(uuid.uuid4()), 2) is None  # a smaller one still fits


def test_hold_retries_instead_of_refusing() -> None:
    gate = QuotaGate(Allowance(1), "hold")
    with pytest.raises(QuotaHeldError, match="do not fit"):
        gate.refusal(WORKFLOW, str(uuid.uuid4()), 2)


def test_meter_only_never_asks_the_ledger() -> None:
    ledger = Allowance(0)
    gate = QuotaGate(ledger, "meter_only")
    assert gate.refusal(WORKFLOW, str(uuid.uuid4()), 50) is None
    assert ledger.calls == []
    assert QuotaGate(None, "meter_only").refusal(WORKFLOW, str(uuid.uuid4()), 50) is None


def test_enforcing_policies_need_the_ledger() -> None:
    for policy in ("hold", "dead_letter"):
        with pytest.raises(ValueError, match="ledger"):
            QuotaGate(None, policy)  # type: ignore[arg-type]
