"""The labelling pane: one unlabelled sample at a time (its page as an image), a key per class,
Enter to confirm; the answer is the next sample, whose page the browser has already loaded.

The order and the preselected class come from the API's suggestions: the live version's
prediction once a version exists (else a guess from the samples already labelled), least sure
first. The pane carries the rest of that queue, so a label costs
one API call; when it runs out, the suggestions are asked again (now knowing the new labels).
Undo shows the previous sample again, with its label selected."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.console import core
from services.console.adapters import ApiClient, ApiError
from services.console.deps import ApiDep, UserDep, is_htmx, render

router = APIRouter(prefix="/workflows/{wf}", tags=["labelling"])
QUEUE = 50  # samples a pane carries
QUEUE_FIELDS = ("sample_id", "filename", "member_path", "page_count", "guess", "confidence", "model_version")


async def _suggestions(api: ApiClient, key: str | None, wf: str) -> list[dict[str, Any]]:
    """The next unlabelled samples, least sure first, each with the API's guess."""
    rows: list[dict[str, Any]] = await api.get(key, f"/workflows/{wf}/samples/suggestions", limit=QUEUE)
    return [{k: row.get(k) for k in QUEUE_FIELDS} for row in rows]


def _carried(queue: str) -> list[dict[str, Any]]:
    try:
        rows = json.loads(queue) if queue else []
    except ValueError:
        return []
    return [row for row in rows if isinstance(row, dict) and isinstance(row.get("sample_id"), str)]


def _pane(
    request: Request,
    workflow: dict[str, Any],
    queue: list[dict[str, Any]],
    previous: str | None,
    error: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    sample, rest = (queue[0], queue[1:]) if queue else (None, [])
    return render(
        request,
        extra.pop("template", "label_pane.html"),
        workflow=workflow,
        sample=sample,
        upcoming=rest[:2],
        queue=rest,
        previous=previous,
        keys=core.class_keys(workflow["labels"]),
        error=error,
        **extra,
    )


@router.get("/label", response_class=HTMLResponse)
async def labelling(
    request: Request, wf: str, user: UserDep, api: ApiDep, sample: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The pane: the given sample (undo, or relabel) then the suggested ones."""
    workflow = await api.workflow(user.api_key, wf)
    queue = await _suggestions(api, user.api_key, wf)
    if sample is not None:
        doc = await api.get(user.api_key, f"/documents/{sample}")
        current = {
            "sample_id": doc["document_id"],
            "label": doc.get("label"),
            "filename": doc.get("filename"),
            "page_count": doc.get("page_count"),
        }
        queue = [current, *(s for s in queue if s["sample_id"] != sample)]
    if is_htmx(request):
        return _pane(request, workflow, queue, None)
    readiness = await api.get(user.api_key, f"/workflows/{wf}/readiness")
    return _pane(request, workflow, queue, None, template="labelling.html", readiness=readiness, tab="label")


@router.post("/label", response_class=HTMLResponse)
async def label(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    sample_id: Annotated[str, Form()],
    label: Annotated[str, Form()],
    labels: Annotated[str, Form()],
    queue: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """PUT the label, answer with the next sample of the carried queue (`labels`, the classes,
    saves reading the workflow again on every key press)."""
    workflow = {"key": wf, "labels": labels.splitlines()}
    rest = _carried(queue)
    try:
        path = f"/workflows/{wf}/samples/{sample_id}/label"
        await api.request(user.api_key, "PUT", path, json={"label": label})
    except ApiError as exc:
        doc = {"sample_id": sample_id, "label": None, "filename": "", "page_count": 1}
        error = core.plain_error(exc.status, exc.detail, exc.retry_after)
        return _pane(request, workflow, [doc, *rest], None, error)
    if not rest:
        rest = [s for s in await _suggestions(api, user.api_key, wf) if s["sample_id"] != sample_id]
    return _pane(request, workflow, rest, sample_id)


@router.get("/pages/{document_id}/{page}.png")
async def page_image(
    wf: str,
    document_id: str,
    page: int,
    user: UserDep,
    api: ApiDep,
    width: int = 900,
    view: Literal["original", "cropped"] = "original",
) -> Response:
    """The page, fetched from the API with the user's key (the browser never holds the key);
    `view=cropped`: as cut out of a photo."""
    path = f"/documents/{document_id}/pages/{page}.png"
    response = await api.request(user.api_key, "GET", path, params={"width": width, "view": view})
    headers = {"Cache-Control": "private, max-age=3600"}
    return Response(response.content, media_type="image/png", headers=headers)


@router.get("/ocr/{document_id}", response_class=HTMLResponse)
async def ocr_text(request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    """The OCR text of a document, on demand."""
    ocr = await api.get(user.api_key, f"/documents/{document_id}/ocr")
    return render(request, "ocr_fragment.html", ocr=ocr)


@router.get("/cropped/{document_id}", response_class=HTMLResponse)
async def cropped_view(
    request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep
) -> HTMLResponse:
    """The pages OCR cut out of a photo, as it read them (with its word boxes), on demand: the
    labelling pane, try-it and review show it beside the original."""
    ocr = await api.get(user.api_key, f"/documents/{document_id}/ocr")
    pages = [p for p in ocr.get("pages") or [] if p.get("cropped")]
    return render(request, "cropped_fragment.html", pages=pages, wf=wf, doc_id=document_id)


@router.get("/boxes/{document_id}", response_class=HTMLResponse)
async def word_boxes(request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    """The first page's OCR word boxes as an SVG laid over its image (not for a page cut out of
    a photo: its boxes refer to the cut-out, not to the page shown)."""
    ocr = await api.get(user.api_key, f"/documents/{document_id}/ocr")
    page = (ocr.get("pages") or [None])[0]
    return render(request, "boxes_fragment.html", page=page)
