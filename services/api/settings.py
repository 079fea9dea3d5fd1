"""The API's own knobs, on top of the shared Kafka/S3/database settings."""

from __future__ import annotations

from docroute.settings import ServiceSettings

MIB = 1024 * 1024


class ApiSettings(ServiceSettings):
    """`DOCROUTE_HOST`, `DOCROUTE_PORT`, `DOCROUTE_MAX_UPLOAD_BYTES`, ... (see ServiceSettings)."""

    host: str = "127.0.0.1"
    port: int = 8080
    # Largest accepted upload (the file itself); bigger ones get 413 while still streaming.
    max_upload_bytes: int = 50 * MIB
    # Cap of `?wait=SECONDS` on POST /processing/{key}.
    max_wait_s: float = 60.0
    # Base URL clients reach the API at (behind a proxy); None: the request's own URL.
    public_base_url: str | None = None
    consumer_group: str = "docroute-api"
    # Run the projection consumer in this process (off only in tests that exercise the door alone).
    projection_enabled: bool = True
