"""`docroute samples upload`: folders name the labels, requests stay under the size cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from docroute.cli_samples import LocalFile, _chunks, scan


def test_first_level_folders_are_labels(tmp_path: Path) -> None:
    for name in (
        "Invoice/a.pdf",
        "invoice/sub/b.png",
        "payslip/c.PDF",
        "loose.zip",
        "notes.txt",
        ".hidden/x.pdf",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = {f.path.relative_to(tmp_path).as_posix(): f.label for f in scan(tmp_path, ["invoice", "payslip"])}
    assert found == {
        "Invoice/a.pdf": "invoice",
        "invoice/sub/b.png": "invoice",
        "payslip/c.PDF": "payslip",
        "loose.zip": None,
    }


def test_a_folder_that_is_no_label_stops_before_uploading(tmp_path: Path) -> None:
    (tmp_path / "receipts").mkdir()
    (tmp_path / "receipts" / "r.pdf").write_bytes(b"x")
    with pytest.raises(SystemExit, match="receipts"):
        list(scan(tmp_path, ["invoice", "payslip"]))


def test_requests_are_cut_by_size_and_a_big_file_goes_alone() -> None:
    files = [LocalFile(Path(f"{i}.pdf"), None, size) for i, size in enumerate([4, 4, 4, 20, 1])]
    assert [[f.path.name for f in chunk] for chunk in _chunks(files, 10)] == [
        ["0.pdf", "1.pdf"],
        ["2.pdf"],
        ["3.pdf"],
        ["4.pdf"],
    ]
