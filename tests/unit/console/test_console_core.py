"""The console's pure logic: refusals in plain words, the heatmap, the keys, the session cookie."""

from __future__ import annotations

import time

from services.console import core
from services.console.session import Session, SessionCodec


def test_refusals_read_as_plain_words() -> None:
    assert core.plain_error(409, "cropping is fixed").startswith("Refused: it conflicts")
    assert core.plain_error(413, "over 50 MiB") == "Too large: over 50 MiB"
    assert "try again in 1 hour" in core.plain_error(429, "100 pages used", "3600")
    assert "try again in 18 days" in core.plain_error(429, "used up", "1555200")
    assert "try again in 5 seconds" in core.plain_error(429, "slow down", "5")
    assert core.plain_error(502, "").startswith("The API answered with an error")


def test_the_heatmap_shares_each_row_and_marks_the_diagonal() -> None:
    heat = core.heatmap([[8, 2], [0, 0]])
    assert [c.share for c in heat[0]] == [0.8, 0.2]
    assert heat[0][0].diagonal and not heat[0][1].diagonal
    assert "hsl(140" in heat[0][0].style and "hsl(0" in heat[0][1].style
    assert heat[1][0].style == ""  # an empty row divides by nothing
    assert "color:#fff" in core.heatmap([[5]])[0][0].style  # dark cell, light text


def test_keys_go_to_the_first_nine_classes() -> None:
    keys = core.class_keys([f"c{i}" for i in range(11)])
    assert keys[0] == ("1", "c0") and keys[8] == ("9", "c8") and keys[9] == ("", "c9")


def test_the_session_cookie_is_encrypted_and_cannot_be_forged() -> None:
    codec = SessionCodec("secret one", max_age_s=60)
    session = Session.anonymous().signed_in("the-api-key-0123456789", "ana", admin=False)
    token = codec.dumps(session)
    assert "the-api-key" not in token
    assert codec.loads(token) == session
    assert SessionCodec("secret two", max_age_s=60).loads(token) is None
    assert codec.loads(token[:-4] + "AAAA") is None
    assert codec.loads(None) is None


def test_a_session_expires_and_a_sign_in_renews_the_csrf_token() -> None:
    codec = SessionCodec("s", max_age_s=60)
    token = codec.dumps(Session.anonymous())
    assert codec.loads(token, now=int(time.time()) + 30) is not None
    assert codec.loads(token, now=int(time.time()) + 90) is None
    before = Session.anonymous()
    after = before.signed_in("k" * 30, "ana", admin=True)
    assert after.csrf != before.csrf
    assert after.csrf_matches(after.csrf) and not after.csrf_matches(before.csrf)
    assert not after.csrf_matches(None)


def test_the_threshold_curve_spans_the_table() -> None:
    rows = [
        {"threshold": 0.5, "routed_share": 1.0, "expected_error": 0.1},
        {"threshold": 0.9, "routed_share": 0.5, "expected_error": None},
    ]
    curve = core.threshold_curve(rows, 0.7, width=100, height=100)
    assert curve.routed == "0.0,0.0 100.0,50.0"
    assert curve.error == "0.0,90.0"  # no error where nothing is routed
    assert curve.marker_x == 50.0
    assert core.threshold_curve([], None).routed == ""


def test_per_class_thresholds_from_the_form() -> None:
    assert core.class_thresholds("w-9: 0.9\ninvoice:0.75, ") == {"w-9": 0.9, "invoice": 0.75}
    assert core.class_thresholds("payslip: high") == {"payslip": "high"}  # the API says why not
    assert core.class_thresholds("") == {}


def test_a_dropped_folders_class_folders_label_their_files_as_a_zips_do() -> None:
    labels = ["invoice", "payslip"]
    paths = ["samples/Invoice/a.pdf", "samples/payslip/2024/b.pdf", "samples/c.pdf", "", "payslip/d.pdf"]
    assert core.folder_labels(paths, None, labels) == ["invoice", "", "", "", "payslip"]
    assert core.folder_labels(paths, "payslip", labels) == ["invoice"] + ["payslip"] * 4


def test_the_request_cap_is_the_apis_upload_limit_plus_a_mib() -> None:
    doc = {"info": {"x-docroute-limits": {"max_upload_bytes": 2_000_000}}}
    assert core.request_cap(doc) == 2_000_000 + 1024 * 1024
    assert core.request_cap({"info": {}}) is None  # not said: the page sends one request


def test_a_document_read_as_one_is_offered_for_division_only_where_the_api_divides_it() -> None:
    read_as_one = {
        "purpose": "processing",
        "status": "routed",
        "page_count": 3,
        "media_type": "application/pdf",
        "pages": None,
        "split": None,
        "review": None,
    }
    splits = {"splitting": "separator"}
    assert core.divisible(read_as_one, splits)
    assert not core.divisible(read_as_one, {"splitting": "none"})
    assert not core.divisible(read_as_one, {})  # an older API: no splitting, none
    for change in (
        {"page_count": 1},
        {"media_type": "image/png"},
        {"pages": {"first": 0, "last": 2}},  # a part: its stack is divided
        {"split": {"mode": "review", "separators": []}},  # divided already
        {"review": {"class": "a"}},
        {"status": "extracted"},
    ):
        assert not core.divisible({**read_as_one, **change}, splits), change
