"""`docroute samples upload DIR --workflow KEY`: send a folder of training data to the API.

DIR's first-level folders name the classes (`DIR/invoice/a.pdf` is an invoice); files directly
in DIR go up unlabelled (zips among them label their members by their own class folders). The
files travel in requests of a few MiB to one batch, then the batch's progress is followed
until every document is read or failed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".zip"})
MIB = 1024 * 1024


class ClientSettings(BaseSettings):
    """Defaults of the API client: `DOCROUTE_API_URL`, `DOCROUTE_API_KEY`."""

    model_config = SettingsConfigDict(env_prefix="DOCROUTE_", env_ignore_empty=True, extra="ignore")

    api_url: str = "http://127.0.0.1:8080"
    api_key: SecretStr | None = None


@dataclass(frozen=True)
class LocalFile:
    path: Path
    label: str | None
    size: int


def add_parser(commands: Any) -> None:
    """Register `samples upload` on the main parser's subcommands."""
    samples = commands.add_parser("samples", help="training data: upload a folder of labelled files")
    actions = samples.add_subparsers(dest="action", required=True)
    upload = actions.add_parser("upload", help="upload DIR (one subfolder per class) as one batch")
    upload.add_argument("dir", type=Path)
    upload.add_argument("--workflow", required=True, help="the workflow key")
    upload.add_argument(
        "--api", default=None, help="API base URL (default: DOCROUTE_API_URL or 127.0.0.1:8080)"
    )
    upload.add_argument("--api-key", default=None, help="API key (default: DOCROUTE_API_KEY)")
    upload.add_argument("--request-mib", type=float, default=16.0, help="bytes per request, at most")
    upload.add_argument("--timeout", type=float, default=3600.0, help="seconds to follow processing")
    upload.add_argument("--no-wait", action="store_true", help="do not follow processing")


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    """Upload and follow; 0 when every file became a read document, 1 otherwise."""
    console = console or Console(stderr=True)
    settings = ClientSettings()
    key = args.api_key or (settings.api_key.get_secret_value() if settings.api_key else None)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(base_url=args.api or settings.api_url, headers=headers, timeout=120) as client:
        workflow = _get(client, f"/workflows/{args.workflow}")
        files = list(scan(args.dir, workflow["labels"]))
        if not files:
            console.print(f"[red]no PDF, image or zip files under {args.dir}")
            return 1
        with _progress(console) as progress:
            batch, too_large = upload(client, args.workflow, files, int(args.request_mib * MIB), progress)
            if not args.no_wait:
                batch = follow(client, batch["url"], progress, args.timeout)
    return report(console, {**batch, "rejected": [*batch["rejected"], *too_large]})


def scan(root: Path, labels: list[str]) -> Iterator[LocalFile]:
    """The files to send, each with the label its first-level folder names."""
    by_lower = {label.lower(): label for label in labels}
    unknown = set()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            not path.is_file()
            or path.suffix.lower() not in SUFFIXES
            or any(p.startswith(".") for p in relative.parts)
        ):
            continue
        folder = relative.parts[0] if len(relative.parts) > 1 else None
        if folder is not None and folder.lower() not in by_lower:
            unknown.add(folder)
            continue
        yield LocalFile(path, by_lower[folder.lower()] if folder else None, path.stat().st_size)
    if unknown:
        raise SystemExit(
            f"folders {sorted(unknown)} are not labels of the workflow {labels}: rename or remove them"
        )


def upload(
    client: httpx.Client, key: str, files: list[LocalFile], request_bytes: int, progress: Progress
) -> tuple[Any, list[dict[str, str]]]:
    """Send the files in requests of at most `request_bytes` (a bigger file alone) to one batch;
    returns the batch and the files the API refused as too large."""
    task = progress.add_task("uploading", total=len(files))
    batch: Any = None
    too_large: list[dict[str, str]] = []
    for chunk in _chunks(files, request_bytes):
        parts = [("files", (f.path.name, f.path.read_bytes())) for f in chunk]
        data = {"labels": [f.label or "" for f in chunk]}
        path = (
            f"/workflows/{key}/batches"
            if batch is None
            else f"/workflows/{key}/batches/{batch['batch_id']}/files"
        )
        response = client.post(path, files=parts, data=data)
        progress.advance(task, len(chunk))
        if response.status_code == 413 and len(chunk) == 1:  # one file past the API's upload limit
            too_large.append(
                {"filename": chunk[0].path.name, "reason_code": "too_large", "reason": response.text[:300]}
            )
            continue
        batch = _ok(response)
    if batch is None:
        raise SystemExit(f"no file was accepted: {too_large}")
    return batch, too_large


def follow(client: httpx.Client, url: str, progress: Progress, timeout_s: float) -> Any:
    """Poll the batch until it is done; the bar counts documents read or failed."""
    task = progress.add_task("processing", total=None)
    deadline = time.monotonic() + timeout_s
    while True:
        batch = _ok(client.get(url))
        finished = batch["documents_ocred"] + batch["documents_failed"]
        progress.update(
            task,
            completed=finished,
            total=finished + batch["documents_pending"],
            description=f"processing ({batch['documents_labelled']} labelled)",
        )
        if batch["done"] or time.monotonic() > deadline:
            return batch
        time.sleep(1.0)


def report(console: Console, batch: Any) -> int:
    console.print(
        f"batch {batch['batch_id']}: {batch['files_accepted']} of {batch['files_total']} files accepted, "
        f"{batch['documents_ocred']} documents read, {batch['documents_labelled']} labelled, "
        f"{batch['documents_unlabelled']} unlabelled, {batch['documents_failed']} failed"
    )
    for item in batch["rejected"]:
        console.print(f"[red]rejected {item['filename']}: {item['reason']}")
    for item in batch["failures"]:
        console.print(f"[red]failed {item['member_path'] or item['filename']}: {item['reason']}")
    if not batch["done"]:
        console.print(f"[yellow]still processing: follow {batch['url']}")
    return 0 if batch["done"] and not batch["rejected"] and not batch["failures"] else 1


def _chunks(files: list[LocalFile], limit: int) -> Iterator[list[LocalFile]]:
    chunk: list[LocalFile] = []
    size = 0
    for item in files:
        if chunk and (size + item.size > limit or len(chunk) >= 100):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += item.size
    if chunk:
        yield chunk


def _progress(console: Console) -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console)


def _get(client: httpx.Client, path: str) -> Any:
    return _ok(client.get(path))


def _ok(response: httpx.Response) -> Any:
    if response.is_error:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:500]}"
        )
    return response.json()
