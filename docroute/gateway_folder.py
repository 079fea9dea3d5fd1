"""The hot-folder door: files a scanner drops in a folder become mails on `mailroom.incoming`.

`docroute gateway folder DIR --workflow KEY` watches DIR (not its subfolders). A file is taken
once it has stopped changing: the same size and modification time at two scans, the last change
at least `settle_s` ago; names that writers use while writing (`.name`, `*.part`, `*.tmp`,
`*.partial`, `*.crdownload`) are never taken. A taken file is checked with the intake rule
(`docroute.intake.take_in`, the one ingest applies), published as one mail (inline up to
`inline_limit` bytes, else put in the inbox and referenced; `docroute.gateway_publish`, shared
with the mailbox door) and moved to `DIR/done/`; a refused one goes to `DIR/failed/` beside
`<name>.reason.txt` (reason code and reason).

Restarts: the folder is the state (what is in DIR is still to do). The mail id is derived from
the file's name and content, so a file published before a crash and published again after it is
the same mail, and ingest and the router give its document one route.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from docroute.gateway_publish import Inbox, MailPublisher
from docroute.intake import IntakeLimits
from docroute.kafka import EventProducer

__all__ = ["FolderGateway", "Inbox"]

logger = logging.getLogger(__name__)

WRITING_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")
DONE, FAILED = "done", "failed"


@dataclass
class FolderGateway:
    """One scan at a time over a folder; `scan()` returns the names it finished."""

    directory: Path
    workflow_id: str
    producer: EventProducer
    inbox: Inbox | None = None
    inline_limit: int = 512 * 1024
    settle_s: float = 2.0
    limits: IntakeLimits = field(default_factory=IntakeLimits)
    clock: Callable[[], float] = time.time
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    _publisher: MailPublisher = field(init=False)

    def __post_init__(self) -> None:
        self._publisher = MailPublisher(
            self.workflow_id, self.producer, "gateway-folder", self.inbox, self.inline_limit, self.limits
        )

    def scan(self) -> list[str]:
        """Take every file that has settled; returns the names moved to done/ or failed/."""
        finished = []
        now = self.clock()
        current: dict[str, tuple[int, int]] = {}
        for path in sorted(self.directory.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(WRITING_SUFFIXES):
                continue
            stat = path.stat()
            current[path.name] = (stat.st_size, stat.st_mtime_ns)
            settled = self._seen.get(path.name) == current[path.name] and now - stat.st_mtime >= self.settle_s
            if settled:
                self._take(path)
                finished.append(path.name)
                del current[path.name]
        self._seen = current
        return finished

    def run(
        self, stop: Callable[[], bool], interval_s: float = 1.0, beat: Callable[[], None] = lambda: None
    ) -> None:
        """Scan until `stop()` says so; `beat()` after each scan (liveness)."""
        while not stop():
            self.scan()
            beat()
            time.sleep(interval_s)

    def _take(self, path: Path) -> None:
        data = path.read_bytes()
        refused = self._publisher.refusal(path.name, data)
        if refused:
            self._move(path, FAILED, refused)
            return
        mail_id = "folder-" + hashlib.sha256(path.name.encode() + b"\0" + data).hexdigest()[:40]
        self._publisher.publish(mail_id, path.name, data, step="folder")
        self._move(path, DONE, None)
        logger.info("published %s as mail %s", path.name, mail_id)

    def _move(self, path: Path, folder: str, reason: str | None) -> None:
        target_dir = self.directory / folder
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        counter = 1
        while target.exists():
            target = target_dir / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        if reason is not None:
            (target_dir / f"{target.name}.reason.txt").write_text(reason + "\n")
            logger.warning("refused %s: %s", path.name, reason)
        path.rename(target)
