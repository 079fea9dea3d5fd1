"""`docroute reprocess --workflow KEY`: send a workflow's dead letters (and, with `--status review`,
its documents waiting in review for a newer model) through the pipeline again.

A client of the API (`POST /workflows/{key}/documents/reprocess`), which decides what can be sent
and sends each document once; `--dry-run` lists what would be sent. Prints one line per document
(`sent`, `would_send` or `skipped` and why) and a summary; exit 0 when the API answered, 1 when
it refused (the reason on stderr), 2 when it could not be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import httpx

from docroute.trace import TraceSettings


def add_parser(commands: Any) -> None:
    reprocess = commands.add_parser(
        "reprocess", help="send dead-lettered documents through the pipeline again (after a fix)"
    )
    reprocess.add_argument("--workflow", required=True, help="the workflow's key (UUID)")
    reprocess.add_argument(
        "--status",
        action="append",
        choices=["failed", "review"],
        help="failed (default): dead letters; review: waiting in review, classified by an older model",
    )
    reprocess.add_argument("--document", action="append", help="only this document id (repeatable)")
    reprocess.add_argument("--reason-code", action="append", help="only failures with this code (repeatable)")
    reprocess.add_argument("--stage", action="append", help="only failures at this stage (repeatable)")
    reprocess.add_argument("--limit", type=int, default=100, help="at most this many documents")
    reprocess.add_argument("--dry-run", action="store_true", help="list what would be sent; send nothing")
    reprocess.add_argument("--api-url", help="the API (DOCROUTE_API_URL)")
    reprocess.add_argument(
        "--data-dir", type=Path, default=Path(".docroute"), help="read the embedded admin key here"
    )


def run(args: argparse.Namespace) -> int:
    settings = TraceSettings()
    api_url = args.api_url or settings.api_url
    body = {
        "statuses": args.status,
        "document_ids": args.document,
        "reason_codes": args.reason_code,
        "stages": args.stage,
        "limit": args.limit,
        "dry_run": args.dry_run,
    }
    headers = {}
    key = _api_key(settings, args.data_dir)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        response = httpx.post(
            f"{api_url.rstrip('/')}/workflows/{args.workflow}/documents/reprocess",
            json={k: v for k, v in body.items() if v is not None},
            headers=headers,
            timeout=300,
        )
    except httpx.HTTPError as exc:
        sys.stderr.write(f"the API at {api_url} did not answer: {exc}\n")
        return 2
    if response.status_code != 200:
        sys.stderr.write(f"refused ({response.status_code}): {response.text[:2000]}\n")
        return 1
    result = response.json()
    for item in result["documents"]:
        why = f"  ({item['why']})" if item["why"] else ""
        failure = f"{item['stage']}/{item['reason_code']}" if item["status"] == "failed" else "review"
        sys.stdout.write(f"{item['action']:<10} {item['document_id']}  {item['filename']}  {failure}{why}\n")
    action = "would_send" if result["dry_run"] else "sent"
    sent = sum(1 for item in result["documents"] if item["action"] == action)
    sys.stdout.write(f"{action.replace('_', ' ')}: {sent} of {len(result['documents'])} selected\n")
    return 0


def _api_key(settings: TraceSettings, data_dir: Path) -> str | None:
    """DOCROUTE_ADMIN_API_KEY (or a key scoped to the workflow), else the embedded default's key file."""
    if settings.admin_api_key is not None:
        return settings.admin_api_key.get_secret_value()
    key_file = data_dir / "admin-api-key"
    return key_file.read_text().strip() if key_file.is_file() else None
