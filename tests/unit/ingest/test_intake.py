"""Intake: types, caps, and hostile zip archives."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from PIL import Image

from docroute.intake import (
    AcceptedFile,
    IntakeLimits,
    RejectedFile,
    folder_label,
    member_document_id,
    sample_label,
    take_in,
    unknown_label_reason,
)
from tests.factories.documents import make_corrupt_pdf, make_scanned_image, make_text_pdf

LIMITS = IntakeLimits()


def _zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_accepts_pdf_with_page_count() -> None:
    [result] = take_in("a.pdf", make_text_pdf(["Invoice 42"], pages=3), LIMITS)
    assert isinstance(result, AcceptedFile)
    assert (result.media_type, result.page_count, result.member_path) == ("application/pdf", 3, None)


def test_accepts_png_judged_by_content_not_name() -> None:
    [result] = take_in("scan.pdf", make_scanned_image(["Hello"]), LIMITS)
    assert isinstance(result, AcceptedFile)
    assert result.media_type == "image/png"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"hello, I am a text file", "unsupported_type"),
        (b"%PDF-1.7\n garbage", "corrupt_file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "corrupt_file"),
    ],
)
def test_rejects_bad_files_with_reason(data: bytes, code: str) -> None:
    [result] = take_in("x", data, LIMITS)
    assert isinstance(result, RejectedFile)
    assert result.reason_code == code


def test_rejects_corrupt_pdf_from_factory() -> None:
    [result] = take_in("x.pdf", make_corrupt_pdf(), LIMITS)
    assert isinstance(result, RejectedFile) and result.reason_code == "corrupt_file"


def test_caps_bytes_but_never_pages() -> None:
    """A long document is taken in whole (OCR reads its relevant pages); bytes stay capped."""
    pdf = make_text_pdf(["x"], pages=300)
    [too_big] = take_in("a.pdf", pdf, IntakeLimits(max_file_bytes=len(pdf) - 1))
    [long] = take_in("a.pdf", pdf, IntakeLimits(max_file_bytes=len(pdf)))
    assert isinstance(too_big, RejectedFile) and too_big.reason_code == "too_large"
    assert isinstance(long, AcceptedFile) and long.page_count == 300 and long.data == pdf


def test_zip_expands_to_one_result_per_member_and_skips_clutter() -> None:
    archive = _zip(
        {
            "invoice/a.pdf": make_text_pdf(["a"]),
            "w-9/b.png": make_scanned_image(["b"]),
            "__MACOSX/._a.pdf": b"junk",
            "notes.txt": b"plain text",
        }
    )
    results = take_in("batch.zip", archive, LIMITS)
    by_path = {r.member_path: r for r in results}
    assert set(by_path) == {"invoice/a.pdf", "w-9/b.png", "notes.txt"}
    assert isinstance(by_path["invoice/a.pdf"], AcceptedFile)
    assert (
        isinstance(by_path["notes.txt"], RejectedFile)
        and by_path["notes.txt"].reason_code == "unsupported_type"
    )


def test_zip_bomb_by_ratio_and_by_total() -> None:
    bomb = _zip({"a.pdf": b"%PDF-" + b"\x00" * 20_000_000})
    [by_ratio] = take_in("bomb.zip", bomb, LIMITS)
    assert isinstance(by_ratio, RejectedFile) and by_ratio.reason_code == "zip_bomb"
    [by_total] = take_in("bomb.zip", bomb, IntakeLimits(max_zip_total_bytes=1_000_000))
    assert isinstance(by_total, RejectedFile) and by_total.reason_code == "zip_bomb"


def test_zip_nesting_and_unsafe_paths() -> None:
    inner = _zip({"a.pdf": make_text_pdf(["a"])})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.zip", inner)
        archive.writestr("../../etc/evil.pdf", make_text_pdf(["x"]))
        archive.writestr("/abs.pdf", make_text_pdf(["x"]))
        link = zipfile.ZipInfo("link.pdf")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    codes = {
        r.member_path: r.reason_code
        for r in take_in("x.zip", buffer.getvalue(), LIMITS)
        if isinstance(r, RejectedFile)
    }
    assert codes == {
        "inner.zip": "zip_nesting",
        "../../etc/evil.pdf": "unsafe_path",
        "/abs.pdf": "unsafe_path",
        "link.pdf": "unsafe_path",
    }


def test_corrupt_zip() -> None:
    [result] = take_in("x.zip", b"PK\x03\x04" + b"\x00" * 100, LIMITS)
    assert isinstance(result, RejectedFile) and result.reason_code == "corrupt_file"


def test_folder_label_matches_case_insensitively() -> None:
    labels = ["Invoice", "W-9"]
    assert folder_label("invoice/a.pdf", labels) == "Invoice"
    assert folder_label("batch/w-9/b.pdf", labels) == "W-9"
    assert folder_label("a.pdf", labels) is None
    assert folder_label("other/a.pdf", labels) is None


def test_a_sample_takes_its_class_folder_first_and_never_an_unknown_folder() -> None:
    labels = ["invoice", "Pay Slip"]
    assert sample_label("pay slip/a.pdf", "invoice", labels) == "Pay Slip"
    assert sample_label("no-such-label/a.pdf", None, labels) is None
    assert sample_label("no-such-label/a.pdf", "invoice", labels) == "invoice"
    assert sample_label(None, "invoice", labels) == "invoice"


def test_only_active_labels_may_label_a_sample() -> None:
    labels = ["invoice", "payslip"]
    assert unknown_label_reason(None, labels) is None
    assert unknown_label_reason("invoice", labels) is None
    reason = unknown_label_reason("no-such-label", labels)
    assert reason is not None and "no-such-label" in reason and "invoice" in reason
    assert unknown_label_reason("Invoice", labels) is not None  # exact, as the HTTP door


def test_zip_members_get_the_ids_ingest_gives_them() -> None:
    assert member_document_id("d1", None) == "d1"
    assert member_document_id("d1", "a/b.pdf") == member_document_id("d1", "a/b.pdf")
    assert member_document_id("d1", "a/b.pdf") != member_document_id("d2", "a/b.pdf")


def test_a_tiff_page_past_the_pixel_cap_is_refused_whichever_page_it_is() -> None:
    """A small first page does not let a huge later one through (OCR would decode it)."""
    small, huge = Image.new("1", (100, 100), 1), Image.new("1", (3000, 2000), 1)
    stack = io.BytesIO()
    small.save(stack, "TIFF", save_all=True, append_images=[small, huge], compression="group4")
    limits = IntakeLimits(max_image_pixels=5_000_000)
    [refused] = take_in("scan.tiff", stack.getvalue(), limits)
    assert isinstance(refused, RejectedFile) and refused.reason_code == "too_large"
    assert "page 3: 3000x2000" in refused.reason
    [accepted] = take_in("scan.tiff", stack.getvalue(), IntakeLimits(max_image_pixels=6_000_000))
    assert isinstance(accepted, AcceptedFile) and accepted.page_count == 3


def test_a_tiff_of_more_pages_than_its_cap_is_refused_before_they_are_walked() -> None:
    pages = [Image.new("1", (8, 8), 1) for _ in range(30)]
    stack = io.BytesIO()
    pages[0].save(stack, "TIFF", save_all=True, append_images=pages[1:])
    [refused] = take_in("scan.tiff", stack.getvalue(), IntakeLimits(max_tiff_pages=29))
    assert isinstance(refused, RejectedFile) and refused.reason_code == "too_large"
    assert "more than 29 pages" in refused.reason
    [accepted] = take_in("scan.tiff", stack.getvalue(), IntakeLimits(max_tiff_pages=30))
    assert isinstance(accepted, AcceptedFile) and accepted.page_count == 30
