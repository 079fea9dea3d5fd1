"""Documents searched by part of their file name, any case, % and _ taken literally."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

import services.api.workflows.models  # noqa: F401  (the table api_key_workflows refers to)
from services.api.documents.models import Document
from services.api.documents.service.queries import DocumentFilter, documents_query


def test_a_part_of_the_file_name_finds_the_document(session: Session) -> None:
    workflow = uuid.uuid4()
    names = ["Invoice-2026_03.pdf", "payslip march.pdf", "invoice%draft.pdf", "scan.tif"]
    for name in names:
        session.add(Document(id=uuid.uuid4(), workflow_id=workflow, purpose="processing", filename=name))
    session.add(
        Document(id=uuid.uuid4(), workflow_id=uuid.uuid4(), purpose="processing", filename="invoice.pdf")
    )
    session.commit()

    def found(part: str) -> list[str]:
        query = documents_query(workflow, DocumentFilter(filename=part), None)
        return sorted(d.filename or "" for d in session.scalars(query))

    assert found("INVOICE") == ["Invoice-2026_03.pdf", "invoice%draft.pdf"]
    assert found("%") == ["invoice%draft.pdf"]
    assert found("6_0") == ["Invoice-2026_03.pdf"]
    assert found("2026_0") == ["Invoice-2026_03.pdf"]
    assert found("p_m") == []  # _ is not a wildcard ("payslip march" has "p m")
