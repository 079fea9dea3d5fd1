"""ingest's own knobs."""

from __future__ import annotations

from docroute.settings import MailroomSettings, ServiceSettings, UsageSettings


class IngestSettings(ServiceSettings):
    """Caps on what the doors accept (DOCROUTE_MAX_FILE_BYTES, ...), the mailroom's trust rule
    (DOCROUTE_MAILROOM__INBOX_PREFIX, ...) and the plans its quota policy applies."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_inline_bytes: int = 10 * 1024 * 1024
    max_zip_members: int = 500
    max_zip_total_bytes: int = 512 * 1024 * 1024
    mailroom: MailroomSettings = MailroomSettings()
    usage: UsageSettings = UsageSettings()
