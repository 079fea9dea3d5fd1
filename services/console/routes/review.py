"""Review: the queue one document at a time (page image, predicted class and confidence); one
key confirms or corrects it, and the next one loads; the audit trail on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from services.console import core
from services.console.adapters import ApiClient, ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["review"])


async def _head(api: ApiClient, key: str | None, wf: str) -> tuple[dict[str, Any] | None, str]:
    queue = await api.get(key, f"/workflows/{wf}/review", limit=50)
    items = queue.get("items", [])
    count = f"{len(items)}+" if queue.get("next_cursor") else str(len(items))
    return (items[0] if items else None), count


def _item_pane(
    request: Request, workflow: dict[str, Any], item: dict[str, Any] | None, count: str, **extra: Any
) -> HTMLResponse:
    bars = sorted((item or {}).get("classifications", {}).items(), key=lambda pair: -pair[1])
    return render(
        request,
        "review_pane.html",
        workflow=workflow,
        item=item,
        count=count,
        bars=bars,
        keys=core.class_keys(workflow["labels"]),
        **{"done": None, "error": None, "divided": None, **extra},
    )


@router.get("/review", response_class=HTMLResponse)
async def review_page(request: Request, wf: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    workflow = await api.workflow(user.api_key, wf)
    item, count = await _head(api, user.api_key, wf)
    bars = sorted((item or {}).get("classifications", {}).items(), key=lambda pair: -pair[1])
    return render(
        request,
        "review.html",
        workflow=workflow,
        item=item,
        count=count,
        bars=bars,
        keys=core.class_keys(workflow["labels"]),
        done=None,
        error=None,
        divided=None,
        tab="review",
    )


@router.post("/review", response_class=HTMLResponse)
async def review_document(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    document_id: Annotated[str, Form()],
    label: Annotated[str, Form()],
    labels: Annotated[str, Form()],
) -> HTMLResponse:
    """POST /documents/{id}/review as the signed-in key's name; answers with the next item."""
    body = {"class": label, "reviewer": user.name or "console"}
    return await _post_then_next(
        request, api, user.api_key, wf, labels, f"/documents/{document_id}/review", body, _done
    )


@router.post("/review/boundaries", response_class=HTMLResponse)
async def move_boundaries(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    stack_id: Annotated[str, Form()],
    labels: Annotated[str, Form()],
    starts: Annotated[list[int], Form()],
) -> HTMLResponse:
    """POST /documents/{stack}/boundaries with the ticked pages; answers with the next item."""
    body = {"starts": sorted(set(starts)), "reviewer": user.name or "console"}
    return await _post_then_next(
        request, api, user.api_key, wf, labels, f"/documents/{stack_id}/boundaries", body, _divided
    )


async def _post_then_next(
    request: Request,
    api: ApiClient,
    key: str | None,
    wf: str,
    labels: str,
    path: str,
    body: dict[str, Any],
    said: Callable[[dict[str, Any]], dict[str, Any]],
) -> HTMLResponse:
    """POST `body` to the API, then the queue's next item with what happened (`said` of the
    API's answer: the pane's message) or the refusal in words above it."""
    workflow = {"key": wf, "labels": labels.splitlines()}
    try:
        outcome = await api.json(key, "POST", path, json=body)
    except ApiError as exc:
        item, count = await _head(api, key, wf)
        return _item_pane(request, workflow, item, count, error=core.plain_error(exc.status, exc.detail))
    item, count = await _head(api, key, wf)
    return _item_pane(request, workflow, item, count, **said(outcome))


def _done(outcome: dict[str, Any]) -> dict[str, Any]:
    return {"done": outcome}


def _divided(outcome: dict[str, Any]) -> dict[str, Any]:
    parts = len(outcome["stack"]["parts"])
    return {"divided": f"Divided into {parts} documents; the new ones are read and routed again."}


@router.get("/audit/{document_id}", response_class=HTMLResponse)
async def audit(request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    trail = await api.get(user.api_key, f"/documents/{document_id}/audit")
    return render(request, "audit_fragment.html", trail=trail)
