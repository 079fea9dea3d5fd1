"""The console's knobs: where it listens, where the API is, the secret of its session cookie."""

from __future__ import annotations

from pydantic import Field, SecretStr

from docroute.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    """`DOCROUTE_HOST`, `DOCROUTE_PORT`, `DOCROUTE_API_URL`, `DOCROUTE_CONSOLE_SECRET`, ..."""

    host: str = "127.0.0.1"
    port: int = 8090
    # The public HTTP API, as the console's server reaches it (inside a cluster: its Service).
    api_url: str = "http://127.0.0.1:8080"
    api_timeout_s: float = Field(default=90.0, gt=0)
    # Encrypts the session cookie (which holds the signed-in user's API key); every replica needs
    # the same one. None: a random one per process (sessions end when it restarts; one replica).
    console_secret: SecretStr | None = None
    # Send the cookie over HTTPS only (set it behind TLS; plain http on 127.0.0.1 needs it off).
    secure_cookie: bool = False
    session_hours: float = Field(default=12.0, gt=0)
