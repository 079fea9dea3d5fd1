"""Workflows: the cards (classes, live version and accuracy, review queue, pages this month) and
the new-workflow wizard (one form in five steps, workflow_new.html and static/wizard.js)."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import core
from services.console.adapters import ApiClient, ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(tags=["workflows"])


async def _card(api: ApiClient, key: str, workflow: dict[str, Any]) -> dict[str, Any]:
    wf = workflow["key"]
    answers: tuple[Any, ...] = await asyncio.gather(
        api.get(key, f"/workflows/{wf}/versions"),
        api.get(key, f"/workflows/{wf}/review", limit=100),
        api.get(key, f"/workflows/{wf}/usage"),
        return_exceptions=True,
    )
    versions, review, usage = answers  # a figure the key may not read is left out
    live = core.live_summary(versions) if isinstance(versions, list) else None
    queue = review.get("items", []) if isinstance(review, dict) else []
    more = bool(review.get("next_cursor")) if isinstance(review, dict) else False
    return {
        "workflow": workflow,
        "live": live,
        "review_count": f"{len(queue)}+" if more else str(len(queue)),
        "usage": usage if isinstance(usage, dict) else None,
    }


@router.get("/", response_class=HTMLResponse)
async def list_workflows(request: Request, user: UserDep, api: ApiDep) -> HTMLResponse:
    workflows = await api.get(user.api_key, "/workflows")
    cards = await asyncio.gather(*(_card(api, user.api_key or "", wf) for wf in workflows))
    return render(request, "workflows.html", cards=cards)


@router.get("/workflows/new", response_class=HTMLResponse)
def new_workflow_form(request: Request, user: UserDep) -> HTMLResponse:
    return render(request, "workflow_new.html", form={}, error=None)


def _labels(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


@router.post("/workflows", response_model=None)
async def create_workflow(
    request: Request,
    user: UserDep,
    api: ApiDep,
    name: Annotated[str, Form()],
    labels: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    cropping: Annotated[bool, Form()] = False,
    character_set: Annotated[str, Form()] = "latin",
    text_style: Annotated[str, Form()] = "printed",
    ocr_engine: Annotated[str, Form()] = "tesseract",
    relevant_pages: Annotated[str, Form()] = "",
    threshold: Annotated[float, Form(ge=0, le=1)] = 0.8,
    retrain_every: Annotated[int, Form(ge=1)] = 20,
    class_thresholds: Annotated[str, Form(max_length=5000)] = "",
    routing: Annotated[str, Form(pattern="^(shared|per_workflow)$")] = "shared",
    splitting: Annotated[str, Form(pattern="^(none|separator|auto|every_page)$")] = "none",
    wording_languages: Annotated[str, Form(pattern="^(class|workflow)$")] = "class",
    thumbnail: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """POST /workflows; a refusal is shown above the form, every field kept as typed."""
    body: dict[str, Any] = {
        "name": name,
        "description": description,
        "labels": _labels(labels),
        "document_spec": {
            "cropping": cropping,
            "character_set": character_set,
            "text_style": text_style,
            "ocr_engine": ocr_engine,
            "relevant_pages": relevant_pages.strip() or None,
        },
        "threshold": threshold,
        "class_thresholds": core.class_thresholds(class_thresholds),
        "retrain_every": retrain_every,
        "routing": {"naming": routing},
        "splitting": splitting,
        "wording_languages": wording_languages,
    }
    try:
        created = await api.json(user.api_key, "POST", "/workflows", json=body)
    except ApiError as exc:
        form = {
            **body,
            **body["document_spec"],
            "labels": labels,
            "class_thresholds": class_thresholds,
            "routing": routing,
        }
        error = core.plain_error(exc.status, exc.detail, exc.retry_after)
        # The wizard opens on its review step: the refusal beside everything as typed.
        return render(request, "workflow_new.html", status_code=exc.status, form=form, error=error, step=5)
    target = f"/workflows/{created['key']}/data"
    if thumbnail is not None and thumbnail.filename:
        image = {"file": (thumbnail.filename, thumbnail.file, thumbnail.content_type or "image/png")}
        try:
            await api.request(user.api_key, "PUT", f"/workflows/{created['key']}/thumbnail", files=image)
        except ApiError as exc:
            # The workflow exists; say why its thumbnail was not taken, on its first page.
            notice = core.plain_error(exc.status, exc.detail)
            return RedirectResponse(f"{target}?{urlencode({'notice': f'Thumbnail not set: {notice}'})}", 303)
    return RedirectResponse(target, status_code=303)


@router.get("/workflows/{wf}/thumbnail")
async def thumbnail_image(wf: str, user: UserDep, api: ApiDep) -> Response:
    answer = await api.request(user.api_key, "GET", f"/workflows/{wf}/thumbnail")
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type"),
        headers={"Cache-Control": "private, max-age=300"},
    )
