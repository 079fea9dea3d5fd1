"""Label by groups: unlabelled samples grouped by the similarity of their text, and many labels
in one request (a whole group with one key); suggestions for the labelling pane (a guess from
the labelled samples' text, least sure first)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from docroute.blobstore import BlobStore
from docroute.errors import BlobNotFoundError
from docroute.ocr_result import OcrDocument
from services.api.deps import BlobStoreDep, CurrentKey, ProducerDep, SessionDep, WorkflowDep
from services.api.documents.models import Document
from services.api.training.schemas import (
    GroupMember,
    SampleGroup,
    SampleGroups,
    SampleLabels,
    SamplePublic,
    SampleSuggestion,
)
from services.api.training.service import annotation
from services.api.training.service.grouping import default_groups, group_texts
from services.api.training.service.predictions import live_guesses
from services.api.training.service.suggestions import Guess, guess_labels

router = APIRouter(prefix="/workflows", tags=["training data"])
# The text of a sample that counts for grouping (the start of a document says what it is).
MAX_TEXT_CHARS = 5000
# Labelled samples a suggestion compares with (the newest).
MAX_LABELLED = 1000


def _texts(blobstore: BlobStore, docs: list[Document]) -> list[str]:
    found = []
    for doc in docs:
        try:
            found.append(OcrDocument.from_json(blobstore.get(doc.ocr_ref or "")).text[:MAX_TEXT_CHARS])
        except BlobNotFoundError:
            found.append("")
    return found


@router.get("/{key}/samples/suggestions", response_model=list[SampleSuggestion])
async def suggest_labels(
    workflow: WorkflowDep,
    session: SessionDep,
    blobstore: BlobStoreDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Unlabelled samples to return")] = 100,
) -> list[SampleSuggestion]:
    """Unlabelled samples (the oldest `limit`), each with the live version's prediction (`model_version`
    set), else the class its text is most alike among the labelled samples (the newest 1,000);
    least sure (lowest confidence) first; oldest first while nothing can guess."""
    unlabelled = annotation.samples_query(workflow.id, "unlabelled").order_by(
        Document.created_at, Document.id
    )
    docs = list(session.scalars(unlabelled.limit(limit)))
    labelled_query = annotation.samples_query(workflow.id, "labelled").order_by(Document.labelled_at.desc())
    labelled = list(session.scalars(labelled_query.limit(MAX_LABELLED)))

    def suggested() -> list[SampleSuggestion]:
        by_version = live_guesses(session, blobstore, workflow.id, [str(d.id) for d in docs])
        # Only the samples the live version has no guess for are compared by text (it reads S3).
        rest = [d for d in docs if str(d.id) not in by_version]
        by_text: dict[uuid.UUID, Guess | None] = {}
        if rest:
            pairs = list(zip(_texts(blobstore, labelled), [d.label or "" for d in labelled], strict=True))
            by_text = dict(
                zip([d.id for d in rest], guess_labels(pairs, _texts(blobstore, rest)), strict=True)
            )
        rows = []
        for doc in docs:
            v, t = by_version.get(str(doc.id)), by_text.get(doc.id)
            rows.append(
                SampleSuggestion(
                    sample_id=doc.id,
                    filename=doc.filename,
                    member_path=doc.member_path,
                    page_count=doc.page_count,
                    guess=v.predicted_class if v else t.label if t else None,
                    confidence=v.confidence if v else t.confidence if t else None,
                    margin=v.margin if v else t.margin if t else None,
                    model_version=v.model_version if v else None,
                )
            )
        return sorted(rows, key=lambda r: r.confidence if r.confidence is not None else 0.0)

    return await run_in_threadpool(suggested)


@router.get("/{key}/samples/groups", response_model=SampleGroups)
async def group_samples(
    workflow: WorkflowDep,
    session: SessionDep,
    blobstore: BlobStoreDep,
    k: Annotated[int | None, Query(ge=1, le=50, description="Groups; default: see default_groups")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Unlabelled samples to group")] = 500,
) -> SampleGroups:
    """Unlabelled samples in groups of alike text (TF-IDF of words and character n-grams,
    k-means), most typical first; `odd` marks the members to check before labelling a group."""
    query = annotation.samples_query(workflow.id, "unlabelled").order_by(Document.created_at, Document.id)
    docs = list(session.scalars(query.limit(limit)))

    def grouped() -> list[SampleGroup]:
        groups = group_texts(_texts(blobstore, docs), k or default_groups(len(workflow.labels), len(docs)))
        return [
            SampleGroup(
                size=len(group.members),
                terms=group.terms,
                samples=[
                    GroupMember(
                        sample_id=docs[m.index].id,
                        filename=docs[m.index].filename,
                        member_path=docs[m.index].member_path,
                        similarity=m.similarity,
                        odd=m.odd,
                    )
                    for m in group.members
                ],
            )
            for group in groups
        ]

    return SampleGroups(samples=len(docs), groups=await run_in_threadpool(grouped))


@router.post("/{key}/samples/labels", response_model=list[SamplePublic])
async def label_samples(
    workflow: WorkflowDep,
    session: SessionDep,
    producer: ProducerDep,
    principal: CurrentKey,
    body: SampleLabels,
) -> list[SamplePublic]:
    """Label many read samples at once, each as PUT .../samples/{id}/label would (one request
    against the rate limit). Checked first: one unknown sample or label refuses them all."""
    docs = [annotation.find(session, workflow, str(item.sample_id)) for item in body.labels]
    annotation.check_labels(workflow, [item.label for item in body.labels])

    def label_all() -> None:
        for doc, item in zip(docs, body.labels, strict=True):
            annotation.label(session, producer, workflow, doc, item.label, principal.name)

    await run_in_threadpool(label_all)
    return [annotation.public(doc) for doc in docs]
