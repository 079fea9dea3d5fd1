"""A person's correction of where a stack's documents begin, kept as a boundary training sample.

Written by the API when a person moves a boundary in review (`POST /documents/{id}/boundaries`),
read by the trainer, whose boundary model learns from it at the next training; deleted with the
stack. One record per stack (the latest correction wins), in the trainer's layout:

    trainsets/<workflow>/boundaries/<stack>.json

The record holds no text: it names the OCR results of the stack's parts as they were read when
the person looked (together they hold every page of the stack) and the pages where its documents
truly begin, so deleting those results takes the text out of the sample too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def corrected_stack_key(workflow_id: str, stack_id: str) -> str:
    return f"trainsets/{workflow_id}/boundaries/{stack_id}.json"


def corrected_stacks_prefix(workflow_id: str) -> str:
    return f"trainsets/{workflow_id}/boundaries/"


@dataclass(frozen=True)
class CorrectedStack:
    """A stack's true division: ``starts`` (0-based pages that begin a document, 0 first) and
    ``readings``, each an OCR result of some of its pages with the stack page of its page 0."""

    stack_id: str
    page_count: int
    starts: tuple[int, ...]
    readings: tuple[tuple[str, int], ...]
    corrected_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack_id": self.stack_id,
            "page_count": self.page_count,
            "starts": list(self.starts),
            "readings": [{"ocr_ref": ref, "first_page": first} for ref, first in self.readings],
            "corrected_by": self.corrected_by,
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> CorrectedStack:
        return cls(
            stack_id=str(record["stack_id"]),
            page_count=int(record["page_count"]),
            starts=tuple(int(s) for s in record["starts"]),
            readings=tuple((str(r["ocr_ref"]), int(r["first_page"])) for r in record["readings"]),
            corrected_by=str(record.get("corrected_by", "")),
        )
