"""Changing workflows on the live API: list, PATCH, fixed settings refused, archive, thumbnail;
every change publishes the full `workflow.updated`."""

from __future__ import annotations

import io
import uuid

import httpx
from PIL import Image

from tests.factories.documents import make_text_pdf

LABELS = ["Invoice", "Pay Slip", "W-9"]


def create_workflow(api: httpx.Client, **fields: object) -> str:
    body = {"name": "changes", "labels": LABELS, **fields}
    response = api.post("/workflows", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def image(fmt: str = "PNG", size: tuple[int, int] = (48, 32)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "teal").save(buf, format=fmt)
    return buf.getvalue()


def updated(reader, key: str, check=lambda data: True):
    _, event = reader.wait_for(lambda t, e: str(e.data.workflow_id) == key and check(e.data), timeout_s=30)
    return event.data


def test_list_shows_active_workflows_and_archived_on_request(api: httpx.Client) -> None:
    first, second = create_workflow(api), create_workflow(api)
    assert api.post(f"/workflows/{second}/archive").status_code == 200
    active = {w["key"] for w in api.get("/workflows", params={"limit": 500}).json()}
    every = {w["key"] for w in api.get("/workflows?include_archived=true&limit=500").json()}
    assert first in active and second not in active
    assert {first, second} <= every
    assert len(api.get("/workflows", params={"limit": 1}).json()) == 1


def test_patch_changes_settings_and_publishes_them(api: httpx.Client, topic_reader_factory) -> None:
    key = create_workflow(api)
    reader = topic_reader_factory(r"^workflow\.updated$")
    body = {
        "name": "renamed",
        "description": "the mailroom",
        "threshold": 0.7,
        "class_thresholds": {"W-9": 0.95},
        "retrain_every": 50,
        "document_spec": {"relevant_pages": "first 2", "character_set": "latin"},
    }
    response = api.patch(f"/workflows/{key}", json=body)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["name"], shown["description"], shown["threshold"]) == (
        "renamed",
        "the mailroom",
        0.7,
    )
    assert shown["document_spec"]["relevant_pages"] == "first 2"
    data = updated(reader, key, lambda d: d.name == "renamed")
    assert (data.threshold, data.class_thresholds, data.retrain_every) == (0.7, {"W-9": 0.95}, 50)
    assert data.document_spec.relevant_pages == "first 2"
    assert data.labels == LABELS

    assert api.get(f"/workflows/{key}").json()["name"] == "renamed"
    bad = api.patch(f"/workflows/{key}", json={"class_thresholds": {"Memo": 0.5}})
    assert bad.status_code == 422 and "Memo" in bad.json()["detail"]
    assert api.patch(f"/workflows/{key}", json={"name": None}).status_code == 422
    assert api.patch(f"/workflows/{key}", json={"labels": ["a", "b"]}).status_code == 422


def test_a_text_style_without_a_recognizer_is_refused_not_stored(api: httpx.Client) -> None:
    """'handwritten' (print ignored) needs telling print from handwriting, which docroute cannot:
    422 saying so, at creation and in a change, and nothing stored. 'both' is stored."""
    name = f"handwriting {uuid.uuid4().hex[:8]}"
    created = api.post(
        "/workflows",
        json={"name": name, "labels": ["a", "b"], "document_spec": {"text_style": "handwritten"}},
    )
    assert created.status_code == 422, created.text
    [error] = created.json()["detail"]
    assert error["loc"][-1] == "text_style" and "cannot be honoured" in error["msg"], error
    assert name not in [w["name"] for w in api.get("/workflows").json()]

    key = create_workflow(api)
    changed = api.patch(f"/workflows/{key}", json={"document_spec": {"text_style": "handwritten"}})
    assert changed.status_code == 422 and "print from handwriting" in changed.text, changed.text
    assert api.get(f"/workflows/{key}").json()["document_spec"]["text_style"] == "printed"

    both = create_workflow(api, document_spec={"text_style": "both"})
    assert api.get(f"/workflows/{both}").json()["document_spec"]["text_style"] == "both"


def test_fixed_settings_are_refused_naming_the_field(api: httpx.Client) -> None:
    key = create_workflow(api, document_spec={"cropping": True})
    changes = {
        "character_set": "japanese",
        "ocr_engine": "paddle",
        "cropping": False,
    }
    for field, value in changes.items():
        response = api.patch(f"/workflows/{key}", json={"document_spec": {field: value}})
        assert response.status_code == 409, (field, response.text)
        assert f"document_spec.{field} cannot be changed" in response.json()["detail"]
    # Sending a fixed setting with its current value is no change.
    same = api.patch(
        f"/workflows/{key}", json={"document_spec": {"cropping": True, "ocr_engine": "tesseract"}}
    )
    assert same.status_code == 200

    # relevant_pages: free until the first training sample, fixed after it.
    assert (
        api.patch(f"/workflows/{key}", json={"document_spec": {"relevant_pages": "1,3"}}).status_code == 200
    )
    pdf = make_text_pdf(["hand-made"])
    sample = api.post(f"/workflows/{key}/samples", files={"file": pdf}, data={"label": "Invoice"})
    assert sample.status_code == 202
    refused = api.patch(f"/workflows/{key}", json={"document_spec": {"relevant_pages": "first 1"}})
    assert refused.status_code == 409
    assert "document_spec.relevant_pages" in refused.json()["detail"]
    assert api.get(f"/workflows/{key}").json()["document_spec"]["relevant_pages"] == "1,3"


def test_archive_closes_the_doors_until_unarchived(api: httpx.Client, topic_reader_factory) -> None:
    key = create_workflow(api)
    reader = topic_reader_factory(r"^workflow\.updated$")
    archived = api.post(f"/workflows/{key}/archive")
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert updated(reader, key, lambda d: d.archived).archived
    png = image()
    assert api.post(f"/processing/{key}", files={"file": ("a.png", png)}).status_code == 404
    assert api.patch(f"/workflows/{key}", json={"name": "x"}).status_code == 404
    assert api.get(f"/workflows/{key}").json()["archived"] is True  # still readable

    assert api.post(f"/workflows/{key}/unarchive").json()["archived"] is False
    assert not updated(reader, key, lambda d: not d.archived).archived
    assert api.post(f"/processing/{key}", files={"file": ("a.png", png)}).status_code == 202


def test_thumbnail_is_stored_in_s3_and_served_back(
    api: httpx.Client, blobstore, topic_reader_factory
) -> None:
    key = create_workflow(api)
    png = image()
    put = api.put(f"/workflows/{key}/thumbnail", files={"file": ("t.png", png)})
    assert put.status_code == 200, put.text
    assert put.json()["thumbnail_url"] == f"/workflows/{key}/thumbnail"
    got = api.get(f"/workflows/{key}/thumbnail")
    assert (got.content, got.headers["content-type"]) == (png, "image/png")
    keys = blobstore.list_keys(f"thumbnails/{key}/")
    assert len(keys) == 1

    jpeg = image("JPEG")
    api.put(f"/workflows/{key}/thumbnail", files={"file": ("t.jpg", jpeg)})
    assert api.get(f"/workflows/{key}/thumbnail").headers["content-type"] == "image/jpeg"
    assert blobstore.list_keys(f"thumbnails/{key}/") != keys  # the old one is gone
    assert len(blobstore.list_keys(f"thumbnails/{key}/")) == 1

    not_image = api.put(f"/workflows/{key}/thumbnail", files={"file": ("t.png", b"%PDF-1.4")})
    assert not_image.status_code == 422
    huge = api.put(f"/workflows/{key}/thumbnail", files={"file": ("t.png", image(size=(2000, 10)))})
    assert huge.status_code == 422 and "2000x10" in huge.json()["detail"]
    tiff = api.put(f"/workflows/{key}/thumbnail", files={"file": ("t.tif", image("TIFF"))})
    assert tiff.status_code == 422

    deleted = api.delete(f"/workflows/{key}/thumbnail")
    assert deleted.json()["thumbnail_url"] is None
    assert api.get(f"/workflows/{key}/thumbnail").status_code == 404
    assert blobstore.list_keys(f"thumbnails/{key}/") == []
    assert api.get(f"/workflows/{uuid.uuid4()}/thumbnail").status_code == 404


def test_splitting_is_shown_changed_and_published(api: httpx.Client, topic_reader_factory) -> None:
    """`splitting` (issue 8): `none` by default and sent as v1 (readers from before it keep
    reading); a splitting workflow's update is v2, v3 with `auto` (a value v2 readers refuse)."""
    key = create_workflow(api)
    assert api.get(f"/workflows/{key}").json()["splitting"] == "none"
    reader = topic_reader_factory(r"^workflow\.updated$")
    response = api.patch(f"/workflows/{key}", json={"splitting": "separator"})
    assert response.status_code == 200, response.text
    assert response.json()["splitting"] == "separator"
    _, event = reader.wait_for(lambda t, e: str(e.data.workflow_id) == key and e.data.splitting, timeout_s=30)
    assert (event.data.splitting, event.version) == ("separator", 2)

    auto = api.patch(f"/workflows/{key}", json={"splitting": "auto"})
    assert auto.status_code == 200 and auto.json()["splitting"] == "auto"
    _, event = reader.wait_for(
        lambda t, e: str(e.data.workflow_id) == key and e.data.splitting == "auto", timeout_s=30
    )
    assert event.version == 3
    assert api.patch(f"/workflows/{key}", json={"splitting": "sometimes"}).status_code == 422
    assert api.get(f"/workflows/{key}").json()["splitting"] == "auto"

    back = api.patch(f"/workflows/{key}", json={"splitting": "none", "name": "one by one"})
    assert back.json()["splitting"] == "none"
    _, event = reader.wait_for(
        lambda t, e: str(e.data.workflow_id) == key and e.data.name == "one by one", timeout_s=30
    )
    assert (event.data.splitting, event.version) == (None, 1)
    created = api.post("/workflows", json={"name": "stacks", "labels": LABELS, "splitting": "every_page"})
    assert created.status_code == 201 and created.json()["splitting"] == "every_page"
    auto_created = api.post("/workflows", json={"name": "stacks", "labels": LABELS, "splitting": "auto"})
    assert auto_created.status_code == 201 and auto_created.json()["splitting"] == "auto"


def test_wording_languages_is_shown_changed_and_published(api: httpx.Client, topic_reader_factory) -> None:
    """`wording_languages` (issue 13): `class` by default and left out of the update (sent as v3
    or older, as before it); `workflow` goes out as v4; any other value is refused."""
    key = create_workflow(api)
    assert api.get(f"/workflows/{key}").json()["wording_languages"] == "class"
    reader = topic_reader_factory(r"^workflow\.updated$")
    response = api.patch(f"/workflows/{key}", json={"wording_languages": "workflow"})
    assert response.status_code == 200, response.text
    assert response.json()["wording_languages"] == "workflow"
    _, event = reader.wait_for(
        lambda t, e: str(e.data.workflow_id) == key and e.data.wording_languages, timeout_s=30
    )
    assert (event.data.wording_languages, event.version) == ("workflow", 4)
    for bad in ("everywhere", None, 1):
        assert api.patch(f"/workflows/{key}", json={"wording_languages": bad}).status_code == 422
    assert api.get(f"/workflows/{key}").json()["wording_languages"] == "workflow"

    back = api.patch(f"/workflows/{key}", json={"wording_languages": "class", "name": "by class"})
    assert back.json()["wording_languages"] == "class"
    _, event = reader.wait_for(
        lambda t, e: str(e.data.workflow_id) == key and e.data.name == "by class", timeout_s=30
    )
    assert event.data.wording_languages is None and event.version == 1
    created = api.post(
        "/workflows", json={"name": "strict", "labels": LABELS, "wording_languages": "workflow"}
    )
    assert created.status_code == 201 and created.json()["wording_languages"] == "workflow"
    refused = api.post("/workflows", json={"name": "strict", "labels": LABELS, "wording_languages": "any"})
    assert refused.status_code == 422
