"""The console in a real browser against the real stack: sign in, create a workflow, drop a zip
of class folders, label the loose files by keyboard (with an undo) but one, train, read the
version's confusion matrix, label the last one with the live version's guess pre-selected (and a
sample uploaded after training, guessed by that version as it is read), try a document, review it
and see it routed. A screenshot of every screen goes
to test-artefacts/console/ (git-ignored)."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Request, expect

from docroute.processes import ManagedProcess
from tests.console.conftest import OfflineContext, check_screen
from tests.factories.document_texts import document_lines
from tests.factories.documents import make_scanned_image, make_text_pdf
from tests.fixtures.auth import bearer
from tests.fixtures.polling import wait_until

PIPELINE = ("ingest", "ocr", "classify", "router", "trainer")
KINDS = ("invoice", "payslip", "tax_form")
IN_FOLDERS = 5  # per class, labelled by their folder
LOOSE = 2  # per class, in a folder named like no class: labelled in the pane
LONG_S = 180_000  # ms: training and OCR on a busy 2-core machine


@pytest.fixture(scope="module")
def stack(start_docroute_service: Callable[..., ManagedProcess], admin_api_key: str) -> dict[str, str]:
    for name in PIPELINE:
        start_docroute_service(name)
    # A plan of one page, to see a 429 in the browser.
    plans = json.dumps({"free": 100, "tiny": 1, "unlimited": None})
    api = start_docroute_service("api", DOCROUTE_ADMIN_API_KEY=admin_api_key, DOCROUTE_USAGE__PLANS=plans)
    api_url = f"http://127.0.0.1:{api.port}"
    console = start_docroute_service(
        "console", DOCROUTE_API_URL=api_url, DOCROUTE_CONSOLE_SECRET="test-secret"
    )
    return {"api": api_url, "console": f"http://127.0.0.1:{console.port}"}


def training_zip(seed: int = 7) -> tuple[bytes, dict[str, str]]:
    """A zip with one folder per class and an `unsorted/` folder; the loose files' true kinds
    by file name."""
    rng = random.Random(seed)
    loose: dict[str, str] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for kind in KINDS:
            for i in range(IN_FOLDERS):
                archive.writestr(f"{kind}/{kind}-{i}.pdf", make_text_pdf(document_lines(kind, rng)))
            for i in range(LOOSE):
                name = f"scan-{kind[:3]}-{i}.pdf"
                archive.writestr(f"unsorted/{name}", make_text_pdf(document_lines(kind, rng)))
                loose[name] = kind
    return buffer.getvalue(), loose


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def sign_in(page: Page, console: str, key: str) -> None:
    page.goto(f"{console}/signin")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Workflows")


def create_workflow(page: Page, console: str, problems: list[str]) -> str:
    """The wizard: step by step by keyboard (Enter moves on), back and forth without losing a
    field; one class is refused (422) in place on the review step, nothing typed lost."""
    page.goto(f"{console}/workflows/new")
    page.fill("#name", "mailroom")
    page.keyboard.press("Enter")  # next step, not a half-made workflow
    page.fill("#labels", KINDS[0])  # one class: refused (422) at saving
    page.click("#wizard-next")
    expect(page.locator("#step-3 .fixed").first).to_have_text("fixed once saved")
    page.check("#cropping")
    page.click("#wizard-next")
    page.fill("#threshold", "0.99")  # high: the tried document goes to review, confirmed there
    page.fill("#retrain_every", "1000")  # only the train button trains
    page.fill("#class_thresholds", "payslip: 0.995")
    page.select_option("#routing", "per_workflow")
    page.click("#wizard-steps button[data-step='1']")  # back to the start: all still there
    expect(page.locator("#name")).to_have_value("mailroom")
    expect(page.locator("#step-4")).to_be_hidden()
    page.click("#wizard-steps button[data-step='5']")
    expect(page.locator("#summary-name")).to_have_text("mailroom")
    expect(page.locator("#summary-retrain_every")).to_have_text("1000")
    expect(page.locator("#wizard-summary dt:has(.fixed)")).to_have_count(5)
    check_screen(page, "02-new-workflow", problems)
    page.click("#wizard-save")
    expect(page.locator(".error")).to_contain_text("Not accepted")
    expect(page.locator("#summary-name")).to_have_text("mailroom")  # reopened on the review step
    page.click("#wizard-steps button[data-step='2']")
    page.fill("#labels", "\n".join(KINDS))
    page.click("#wizard-back")
    page.set_input_files("#thumbnail", {"name": "mailroom.png", "mimeType": "image/png", "buffer": _png()})
    page.click("#wizard-steps button[data-step='5']")
    expect(page.locator("#summary-labels")).to_have_text(", ".join(KINDS))
    expect(page.locator("#summary-cropping")).to_have_text("yes")
    page.click("#wizard-save")
    page.wait_for_url(re.compile(r"/workflows/[0-9a-f-]+/data$"))
    return page.url.split("/workflows/")[1].split("/")[0]


def upload_zip(page: Page, archive: Path) -> None:
    """The zip and a text file in one batch: the text file is refused with its reason, the zip's
    members are read and labelled by their folders; retry sends only the refused file again."""
    notes = archive.with_name("notes.txt")
    notes.write_text("not a document")
    page.set_input_files("#files", [str(archive), str(notes)])
    page.click("#upload button[type=submit]")
    batch = page.locator("article.batch").first
    expect(batch.locator("h3")).to_contain_text("done", timeout=LONG_S)
    expect(batch).to_contain_text(f"{len(KINDS) * IN_FOLDERS} labelled")
    expect(batch).to_contain_text(f"{len(KINDS) * LOOSE} to label")
    expect(batch.locator(".failures li")).to_have_count(1)
    expect(batch.locator(".failures li")).to_contain_text("notes.txt")
    batch.locator("button.retry").click()
    expect(page.locator("article.batch")).to_have_count(2)
    retried = page.locator("article.batch").first
    expect(retried.locator("h3")).to_contain_text("done", timeout=LONG_S)
    expect(retried).to_contain_text("0 of 1 files accepted")


def label_a_group(page: Page, console: str, wf: str, loose: dict[str, str], problems: list[str]) -> str:
    """The groups screen shows every loose sample; the first group's most typical member is
    labelled through the group form (the others unchecked). Returns its file name."""
    page.goto(f"{console}/workflows/{wf}/groups")
    walls = page.locator(".group .wall li")
    expect(walls).to_have_count(len(loose))
    check_screen(page, "04a-groups", problems)
    group = page.locator(".group").first
    boxes = group.locator("input[type=checkbox]")
    for i in range(1, boxes.count()):
        boxes.nth(i).uncheck()
    boxes.first.check()
    name = group.locator(".wall li span").first.inner_text().split(" · ")[0].rsplit("/", 1)[-1]
    group.locator("select").select_option(loose[name])
    group.locator("button[type=submit]").click()
    expect(page.locator(".group .wall li")).to_have_count(len(loose) - 1)
    return name


def label_by_keyboard(
    page: Page, console: str, wf: str, loose: dict[str, str], grouped: str, problems: list[str]
) -> str:
    """Every loose sample but the group's and one, left for the version to guess: returns its id."""
    page.goto(f"{console}/workflows/{wf}/label")
    page.click(".boxes-button")
    expect(page.locator("#overlay svg rect").first).to_be_attached()  # the OCR's word boxes
    check_screen(page, "04-labelling", problems)
    done: list[str] = []
    guessed_right = 0
    while len(done) < len(loose) - 2:
        form = page.locator("#label-form")
        sample = form.get_attribute("data-sample")
        name = page.locator(".page figcaption").inner_text().split(" · ")[0]
        kind = loose[name.rsplit("/", 1)[-1]]
        # The guess from the labelled samples is preselected: Enter alone would accept it.
        guessed_right += form.locator("input:checked").get_attribute("value") == kind
        if len(done) == 1:
            # A wrong key first, then undo: the pane shows it again with the wrong label chosen.
            page.keyboard.press(str((KINDS.index(kind) + 1) % len(KINDS) + 1))
            page.keyboard.press("Enter")
            expect(page.locator(f'#label-form[data-sample="{sample}"]')).to_have_count(0)
            page.keyboard.press("Backspace")
            expect(page.locator("#label-form")).to_have_attribute("data-sample", sample or "")
            expect(page.locator("#label-form input:checked")).not_to_have_value(kind)
        page.keyboard.press(str(KINDS.index(kind) + 1))
        page.keyboard.press("Enter")
        done.append(name.rsplit("/", 1)[-1])
        expect(page.locator(f'#label-form[data-sample="{sample}"]')).to_have_count(0)  # the next one
    assert guessed_right >= len(done) - 1, f"{guessed_right} of {len(done)} guesses right"
    last = page.locator("#label-form").get_attribute("data-sample") or ""
    expect(page.locator("#suggested")).to_contain_text("from the samples labelled so far")
    return last


def label_the_last_with_the_versions_guess(
    page: Page,
    console: str,
    wf: str,
    sample: str,
    loose: dict[str, str],
    api: httpx.Client,
    problems: list[str],
) -> None:
    """After training the sample left unlabelled carries the live version's prediction (API)
    and the pane pre-selects it: Enter alone accepts it."""
    prediction = api.get(f"/workflows/{wf}/samples/{sample}").json()["prediction"]
    assert prediction["model_version"] == 1, prediction
    page.goto(f"{console}/workflows/{wf}/label")
    expect(page.locator("#label-form")).to_have_attribute("data-sample", sample)
    expect(page.locator("#suggested")).to_contain_text("live version v1")
    expect(page.locator("#label-form input:checked")).to_have_value(prediction["predicted_class"])
    name = page.locator(".page figcaption").inner_text().split(" · ")[0].rsplit("/", 1)[-1]
    assert prediction["predicted_class"] == loose[name]
    check_screen(page, "05a-labelling-live-guess", problems)
    page.keyboard.press("Enter")
    expect(page.locator("#nothing-left")).to_be_visible()
    labelled = api.get(f"/workflows/{wf}/samples/{sample}").json()
    assert labelled["label"] == loose[name] and labelled["prediction"] is None


def label_a_late_sample_with_the_versions_guess(
    page: Page, console: str, wf: str, api: httpx.Client, problems: list[str]
) -> None:
    """A sample uploaded after v1 was trained carries v1's guess once the trainer has read it,
    and the pane pre-selects that guess too (not the text guess)."""
    late = make_text_pdf(document_lines("tax_form", random.Random(41)))
    batch = api.post(f"/workflows/{wf}/batches", files=[("files", ("late-tax.pdf", late))]).json()
    wait_until(lambda: api.get(batch["url"]).json()["done"], LONG_S / 1000, "the late sample was not read")
    [sample] = api.get(f"/workflows/{wf}/samples", params={"state": "unlabelled"}).json()
    prediction = wait_until(
        lambda: api.get(f"/workflows/{wf}/samples/{sample['sample_id']}").json()["prediction"],
        LONG_S / 1000,
        "the late sample got no guess from the live version",
    )
    assert prediction["model_version"] == 1, prediction
    page.goto(f"{console}/workflows/{wf}/label")
    expect(page.locator("#label-form")).to_have_attribute("data-sample", sample["sample_id"])
    expect(page.locator("#suggested")).to_contain_text("live version v1")
    expect(page.locator("#label-form input:checked")).to_have_value(prediction["predicted_class"])
    page.keyboard.press("Enter")
    expect(page.locator("#nothing-left")).to_be_visible()


def train_and_read_the_matrix(page: Page, console: str, wf: str, problems: list[str]) -> None:
    page.goto(f"{console}/workflows/{wf}/data")
    expect(page.locator("table.counts")).to_contain_text(str(IN_FOLDERS + LOOSE))
    check_screen(page, "03-training-data", problems)
    page.click("#train")
    matrix = page.locator("#confusion-matrix")
    expect(matrix).to_be_visible(timeout=LONG_S)
    cells = [
        [int(c) for c in row.locator("td").all_inner_texts()] for row in matrix.locator("tbody tr").all()
    ]
    assert len(cells) == len(KINDS)
    assert sum(map(sum, cells)) == len(KINDS) * (IN_FOLDERS + LOOSE) - 1  # one left unlabelled
    assert sum(cells[i][i] for i in range(len(KINDS))) >= 0.8 * sum(map(sum, cells))
    expect(page.locator("table.per-class")).to_contain_text("payslip")
    check_screen(page, "05-version", problems)
    pin_after_a_confirmation(page)


def pin_after_a_confirmation(page: Page) -> None:
    """Pin (like promote and roll back) asks first: dismissed, nothing is sent; accepted, v1 is
    pinned."""
    asked: list[str] = []
    posts: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url)

    def pinned() -> bool:
        page.reload()
        return "live, pinned" in page.locator("main").inner_text()

    page.on("request", record)
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#version-detail button:has-text('Pin v1')")
    expect(page.locator("#confusion-matrix")).to_be_visible()  # still this page
    assert len(asked) == 1 and "hold it there" in asked[0], asked
    assert posts == [], posts
    page.once("dialog", lambda d: d.accept())
    page.click("#version-detail button:has-text('Pin v1')")
    page.wait_for_url(re.compile(r"/versions$"))
    page.remove_listener("request", record)
    assert [url.rsplit("/", 3)[-3:] for url in posts] == [["versions", "1", "pin"]], posts
    wait_until(pinned, 60, "v1 was not pinned")


def try_a_document(
    page: Page, console: str, wf: str, tmp: Path, api: httpx.Client, problems: list[str]
) -> None:
    document = tmp / "payslip-new.pdf"
    document.write_bytes(make_text_pdf(document_lines("payslip", random.Random(99))))
    page.goto(f"{console}/workflows/{wf}/try")
    page.set_input_files("#file", str(document))
    page.check("input[name=candidate]")  # no candidate yet: the preview's 409 is said in place
    page.click("#try button[type=submit]")
    expect(page.locator("#try-result")).to_be_visible(timeout=LONG_S)
    expect(page.locator(".answer").nth(1)).to_contain_text("Refused: it conflicts")
    expect(page.locator("#route")).to_have_text("review", timeout=LONG_S)
    expect(page.locator(".bars li")).to_have_count(len(KINDS))
    check_screen(page, "06-try-it", problems)
    # Past the plan's pages: the 429 is said in place, in words, with when to try again.
    api.put(f"/workflows/{wf}/plan", json={"plan": "tiny"}).raise_for_status()
    page.uncheck("input[name=candidate]")
    page.click("#try button[type=submit]")
    refusal = page.locator("#result .error")
    expect(refusal).to_contain_text("Limit reached: monthly page allowance used up")
    expect(refusal).to_contain_text("try again in")
    expect(page.locator("#file")).not_to_have_value("")  # the chosen file is still there
    api.put(f"/workflows/{wf}/plan", json={"plan": "free"}).raise_for_status()


def review_one(page: Page, console: str, wf: str, problems: list[str]) -> str:
    page.goto(f"{console}/workflows/{wf}/review")
    form = page.locator("#review-form")
    expect(form).to_be_visible()
    document_id = form.get_attribute("data-sample") or ""
    check_screen(page, "07-review", problems)
    page.keyboard.press(str(KINDS.index("payslip") + 1))  # the keyboard alone: a digit corrects
    expect(page.locator("#review-form input:checked")).to_have_value("payslip")
    page.keyboard.press("Enter")
    expect(page.locator("#review-pane")).to_contain_text("routed to")
    expect(page.locator("#queue-empty")).to_be_visible()
    return document_id


def the_other_screens(page: Page, console: str, wf: str, problems: list[str]) -> str:
    """Documents (the reviewed one, routed), usage, the workflow's API (its OpenAPI rendered),
    keys: mint a key for this workflow, shown once. Returns the key."""
    page.goto(f"{console}/workflows/{wf}/documents")
    page.fill("#f-name", "SLIP-NEW")
    page.select_option("#f-route", "extract")
    page.click("#filters button[type=submit]")
    expect(page.locator("table.documents tbody tr")).to_have_count(1)
    expect(page.locator("table.documents")).to_contain_text("payslip (reviewed)")
    check_screen(page, "09-documents", problems)
    page.locator("table.documents a").first.click()
    expect(page.locator("main")).to_contain_text("reviewed as payslip")
    check_screen(page, "10-document", problems)
    page.goto(f"{console}/workflows/{wf}/usage")
    expect(page.locator("#usage-pages")).to_contain_text("1")
    expect(page.locator("#usage-days li")).to_have_count(1)  # today
    check_screen(page, "11-usage", problems)
    page.goto(f"{console}/workflows/{wf}/api")
    expect(page.locator("#swagger .opblock").first).to_be_visible(timeout=30_000)
    check_screen(page, "12-api", problems)
    page.click("#asyncapi-link")  # the event API's page, served by the stack (no CDN)
    expect(page.locator("h1")).to_contain_text("AsyncAPI 3.0.0")
    page.goto(f"{console}/keys")
    page.fill("#key-name", "mailroom team")
    page.locator(f'input[name=workflow][value="{wf}"]').check()
    page.click("form[action='/keys'] button[type=submit]")
    key = page.locator("#minted-key").inner_text().strip()
    check_screen(page, "13-keys", problems)
    page.goto(f"{console}/keys")
    expect(page.locator("#minted-key")).to_have_count(0)  # shown once
    expect(page.locator("main table")).to_contain_text("mailroom team")
    return key


def test_the_classifier_workflow_in_the_browser(
    stack: dict[str, str], browser: Browser, admin_api_key: str, tmp_path: Path
) -> None:
    console = stack["console"]
    archive, loose = training_zip()
    (tmp_path / "samples.zip").write_bytes(archive)
    # axe-core is injected as an inline script, which the console's CSP refuses: bypassed here.
    offline = OfflineContext(browser, viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = offline.new_page()
    problems: list[str] = []
    page.goto(f"{console}/signin")
    check_screen(page, "01-sign-in", problems)
    sign_in(page, console, admin_api_key)
    wf = create_workflow(page, console, problems)
    upload_zip(page, tmp_path / "samples.zip")
    grouped = label_a_group(page, console, wf, loose, problems)
    last = label_by_keyboard(page, console, wf, loose, grouped, problems)
    train_and_read_the_matrix(page, console, wf, problems)
    with httpx.Client(base_url=stack["api"], headers=bearer(admin_api_key), timeout=30) as api:
        label_the_last_with_the_versions_guess(page, console, wf, last, loose, api, problems)
        label_a_late_sample_with_the_versions_guess(page, console, wf, api, problems)
        try_a_document(page, console, wf, tmp_path, api, problems)
    document_id = review_one(page, console, wf, problems)
    page.goto(console)
    card = page.locator(f'.workflow-card:has(a[href="/workflows/{wf}/data"])')
    expect(card).to_contain_text("v1 ·")
    assert card.locator("img.thumb").evaluate("img => img.complete && img.naturalWidth") == 64
    check_screen(page, "08-workflows", problems)
    with httpx.Client(base_url=stack["api"], headers=bearer(admin_api_key), timeout=30) as api:
        result = api.get(f"/documents/{document_id}").json()
    assert result["review"]["class"] == "payslip"
    assert result["route"]["route"] == "extract"
    assert result["route"]["topic"] == f"extract.{wf}.payslip"  # the workflow's own topics
    settings = httpx.get(f"{stack['api']}/workflows/{wf}", headers=bearer(admin_api_key), timeout=30).json()
    assert settings["class_thresholds"] == {"payslip": 0.995}
    scoped = the_other_screens(page, console, wf, problems)
    page.click("header button[type=submit]")  # sign out
    expect(page.locator("h1")).to_have_text("Sign in")
    sign_in(page, console, scoped)
    expect(page.locator(".workflow-card")).to_have_count(1)  # a scoped key sees its workflow only
    expect(page.locator("header")).not_to_contain_text("API keys")
    assert offline.blocked == []
    offline.close()
    assert problems == [], "\n".join(problems)


def test_the_cropped_view_shows_what_ocr_read_of_a_photo(
    stack: dict[str, str], browser: Browser, admin_api_key: str
) -> None:
    """A photographed sample in a workflow that crops: the pane's cropped view shows the page
    as OCR cut it out, with its word boxes over it."""
    spec = {"cropping": True, "character_set": "latin", "text_style": "printed"}
    with httpx.Client(base_url=stack["api"], headers=bearer(admin_api_key), timeout=30) as api:
        body = {"name": "photos", "labels": list(KINDS), "document_spec": spec}
        wf = api.post("/workflows", json=body).json()["key"]
        photo = make_scanned_image(document_lines("invoice", random.Random(3)), format="JPEG")
        batch = api.post(f"/workflows/{wf}/batches", files={"files": ("desk.jpg", photo, "image/jpeg")})
        assert batch.status_code == 202, batch.text
        wait_until(
            lambda: api.get(f"/workflows/{wf}/samples", params={"state": "unlabelled"}).json(),
            LONG_S / 1000,
            "the photo was not read",
        )
    offline = OfflineContext(browser, viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = offline.new_page()
    sign_in(page, stack["console"], admin_api_key)
    page.goto(f"{stack['console']}/workflows/{wf}/label")
    page.click(".cropped-button")
    cropped = page.locator("#cropped-page-1 img")
    expect(cropped).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=cropped.element_handle())
    width, height = cropped.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    photo_width, photo_height = page.locator(".page img").first.evaluate(
        "img => [img.naturalWidth, img.naturalHeight]"
    )
    assert abs(width / height - photo_width / photo_height) > 0.05  # the desk around it is gone
    expect(page.locator("#cropped-page-1 svg.boxes rect").first).to_be_attached()
    problems: list[str] = []
    check_screen(page, "14-cropped-view", problems)
    offline.close()
    assert problems == [], "\n".join(problems)


def test_a_wrong_key_and_a_request_without_the_csrf_token_are_refused(
    stack: dict[str, str], admin_api_key: str
) -> None:
    console = stack["console"]
    with httpx.Client(base_url=console, timeout=30) as client:
        form = client.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        wrong = client.post("/signin", data={"csrf": csrf[1], "api_key": "not-a-key"})
        assert wrong.status_code == 401
        assert "not valid" in wrong.text
        forged = client.post("/signin", data={"csrf": "guess", "api_key": admin_api_key})
        assert forged.status_code == 403
        cookie = client.cookies.get("docroute_console")
        assert cookie and admin_api_key not in cookie  # encrypted
        signed = client.post("/signin", data={"csrf": csrf[1], "api_key": admin_api_key})
        assert signed.status_code == 303
        set_cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        assert client.post("/workflows", data={"name": "x", "labels": "a,b"}).status_code == 403
