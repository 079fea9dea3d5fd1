"""A workflow's own API documentation: its OpenAPI document and code snippets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from docroute.topics import REVIEW_PENDING
from services.api.access.service import usage
from services.api.deps import SessionDep, SettingsDep, WorkflowAnyStateDep
from services.api.settings import ApiSettings
from services.api.versions.models import ModelVersion
from services.api.workflows.schemas import Snippets
from services.api.workflows.service import routing
from services.api.workflows.service.openapi import limits, snippets, workflow_openapi

router = APIRouter(prefix="/workflows", tags=["documentation"])


def _base_url(request: Request, settings: ApiSettings) -> str:
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


@router.get(
    "/{key}/openapi.json",
    response_model=dict[str, Any],
    responses={200: {"description": "OpenAPI 3.1 document of this workflow"}},
)
def read_workflow_openapi(
    workflow: WorkflowAnyStateDep, request: Request, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    """This workflow's OpenAPI document: its endpoints with the key filled in, the result's class
    fields as an enum of its classes, code snippets (`x-codeSamples`), the limits
    (`info.x-docroute-limits`) and the Kafka topic of each class (`info.x-docroute-routing`)."""
    live = session.scalars(
        select(ModelVersion.labels).where(
            ModelVersion.workflow_id == workflow.id, ModelVersion.live.is_(True)
        )
    ).first()
    # The live model may still predict a renamed or retired label until the next version.
    classes = list(workflow.labels) + [c for c in live or [] if c not in workflow.labels]
    plan = usage.plan_of(settings.usage, workflow)
    doc = workflow_openapi(
        request.app.openapi(),
        workflow_id=str(workflow.id),
        name=workflow.name,
        classes=classes,
        server_url=_base_url(request, settings),
        lim=limits(settings, settings.usage.plans[plan]),
        routing={
            "naming": routing.rule_of(workflow).naming,
            "topics": routing.topics_of(workflow, classes),
            "review_topic": REVIEW_PENDING,
        },
    )
    return JSONResponse(doc)


@router.get("/{key}/snippets", response_model=Snippets)
def read_snippets(workflow: WorkflowAnyStateDep, request: Request, settings: SettingsDep) -> Snippets:
    """curl, Python and JavaScript calls of this workflow's processing endpoint."""
    return snippets(f"{_base_url(request, settings)}/processing/{workflow.id}")
