"""Document status: its order, which statuses are final, and a zip's status from its members.

    received < extracted < classified < routed | review | failed | superseded | divided

A part of a stack whose boundaries a person moved is superseded (review/boundaries.py): replaced
by parts with the corrected pages, out of the stack's result and of review, for good. A document
read as one that a person divided into its documents is divided: a stack from then on, as far
as its parts are (`aggregate`), and out of review for good.

A status never moves backwards: events arrive from several topics in no global order and may be
redelivered, so an older event must not undo a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

Status = Literal["received", "extracted", "classified", "routed", "review", "failed", "superseded", "divided"]

RANK: Final[dict[str, int]] = {
    "received": 0,
    "extracted": 1,
    "classified": 2,
    "routed": 3,
    "review": 3,
    "failed": 3,
    "superseded": 3,
    "divided": 3,
}
FINAL: Final[frozenset[str]] = frozenset({"routed", "review", "failed", "superseded", "divided"})


def advance(current: str | None, new: str) -> str:
    """The status after an event reporting `new`: only a higher rank replaces the current one."""
    if current is None or RANK[new] > RANK[current]:
        return new
    return current


def is_final(status: str) -> bool:
    return status in FINAL


def aggregate(own: str, members: Iterable[str]) -> str:
    """Status of an upload that expanded into members (a zip).

    Its own final status (the archive itself was rejected) wins, but `divided`: that document
    is as far as the parts a person divided it into. Otherwise it is as far as its
    slowest member; once every member is final: `routed` when all were routed, `failed` when all
    failed, and `review` for any mix, since someone has to look.
    """
    statuses = list(members)
    if (is_final(own) and own != "divided") or not statuses:
        return own
    if not all(is_final(s) for s in statuses):
        return min(statuses, key=RANK.__getitem__)
    if all(s == "routed" for s in statuses):
        return "routed"
    if all(s == "failed" for s in statuses):
        return "failed"
    return "review"
