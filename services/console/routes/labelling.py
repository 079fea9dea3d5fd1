"""The labelling pane: one unlabelled sample at a time (its page as an image), a key per class,
Enter to confirm; the answer is the next sample, whose page the browser has already loaded.
Undo shows the previous sample again, with its label selected."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.console import core
from services.console.adapters import ApiClient, ApiError
from services.console.deps import ApiDep, UserDep, render

router = APIRouter(prefix="/workflows/{wf}", tags=["labelling"])


async def _queue(api: ApiClient, key: str | None, wf: str, limit: int = 3) -> list[dict[str, Any]]:
    """The next unlabelled samples, oldest first."""
    result: list[dict[str, Any]] = await api.get(
        key, f"/workflows/{wf}/samples", state="unlabelled", limit=limit
    )
    return result


def _pane(
    request: Request,
    workflow: dict[str, Any],
    sample: dict[str, Any] | None,
    upcoming: list[dict[str, Any]],
    previous: str | None,
    error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "label_pane.html",
        workflow=workflow,
        sample=sample,
        upcoming=upcoming,
        previous=previous,
        keys=core.class_keys(workflow["labels"]),
        error=error,
    )


@router.get("/label", response_class=HTMLResponse)
async def labelling(
    request: Request, wf: str, user: UserDep, api: ApiDep, sample: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The pane: the given sample (undo, or relabel) or the first unlabelled one."""
    workflow = await api.workflow(user.api_key, wf)
    queue = await _queue(api, user.api_key, wf)
    if sample is not None:
        doc = await api.get(user.api_key, f"/documents/{sample}")
        current: dict[str, Any] | None = {
            "sample_id": doc["document_id"],
            "label": doc.get("label"),
            "filename": doc.get("filename"),
            "page_count": doc.get("page_count"),
        }
        upcoming = [s for s in queue if s["sample_id"] != sample][:2]
    else:
        current, upcoming = (queue[0], queue[1:]) if queue else (None, [])
    template = "label_pane.html" if request.headers.get("hx-request") else "labelling.html"
    if template == "label_pane.html":
        return _pane(request, workflow, current, upcoming, None)
    readiness = await api.get(user.api_key, f"/workflows/{wf}/readiness")
    return render(
        request,
        "labelling.html",
        workflow=workflow,
        sample=current,
        upcoming=upcoming,
        previous=None,
        keys=core.class_keys(workflow["labels"]),
        readiness=readiness,
        error=None,
        tab="label",
    )


@router.post("/label", response_class=HTMLResponse)
async def label(
    request: Request,
    wf: str,
    user: UserDep,
    api: ApiDep,
    sample_id: Annotated[str, Form()],
    label: Annotated[str, Form()],
    labels: Annotated[str, Form()],
) -> HTMLResponse:
    """PUT the label, answer with the next sample. `labels` (the classes, from the pane) saves
    reading the workflow again on every key press."""
    workflow = {"key": wf, "labels": labels.splitlines()}
    try:
        await api.request(
            user.api_key, "PUT", f"/workflows/{wf}/samples/{sample_id}/label", json={"label": label}
        )
    except ApiError as exc:
        doc = {"sample_id": sample_id, "label": None, "filename": "", "page_count": 1}
        error = core.plain_error(exc.status, exc.detail, exc.retry_after)
        return _pane(request, workflow, doc, await _queue(api, user.api_key, wf, 2), None, error)
    queue = await _queue(api, user.api_key, wf)
    current, upcoming = (queue[0], queue[1:]) if queue else (None, [])
    return _pane(request, workflow, current, upcoming, sample_id)


@router.get("/pages/{document_id}/{page}.png")
async def page_image(
    wf: str, document_id: str, page: int, user: UserDep, api: ApiDep, width: int = 900
) -> Response:
    """The page, fetched from the API with the user's key (the browser never holds the key)."""
    response = await api.request(
        user.api_key, "GET", f"/documents/{document_id}/pages/{page}.png", params={"width": width}
    )
    return Response(
        response.content, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/ocr/{document_id}", response_class=HTMLResponse)
async def ocr_text(request: Request, wf: str, document_id: str, user: UserDep, api: ApiDep) -> HTMLResponse:
    """The OCR text of a document, on demand."""
    ocr = await api.get(user.api_key, f"/documents/{document_id}/ocr")
    return render(request, "ocr_fragment.html", ocr=ocr)
