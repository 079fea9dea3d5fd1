"""The API's own knobs, on top of the shared Kafka/S3/database settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from docroute.settings import ServiceSettings, UsageSettings

MIB = 1024 * 1024
MIN_ADMIN_KEY_CHARS = 24


class RateLimitSettings(BaseModel):
    """Token bucket per API key, in memory: each replica counts on its own."""

    model_config = ConfigDict(frozen=True)

    # Sustained requests per second; 0 turns the limit off. The admin key is not limited.
    per_second: float = Field(default=10.0, ge=0)
    burst: int = Field(default=50, ge=1)


class WebhookSettings(BaseModel):
    """Deploy notifications: delivery timeout and retries (exponential backoff)."""

    model_config = ConfigDict(frozen=True)

    # Run the webhook consumer and sender in this process.
    enabled: bool = True
    timeout_s: float = Field(default=10.0, gt=0)
    # Attempts before a delivery is marked failed; waits retry_base_s * 2**(attempt-1), capped.
    max_attempts: int = Field(default=8, ge=1)
    retry_base_s: float = Field(default=5.0, gt=0)
    max_backoff_s: float = Field(default=3600.0, gt=0)
    poll_s: float = Field(default=1.0, gt=0)
    # Deliver to loopback and private networks too. Off by default: a webhook URL must not
    # make the API probe the cluster's internal services (SSRF).
    private_targets: bool = False


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
    # The projection's fetch wait while a `?wait=` request waits (DOCROUTE_KAFKA__FETCH_MAX_WAIT_MS,
    # 100, otherwise): Tansu answers a waiting fetch only at its end, so the route is seen up to
    # that late. Shorter costs CPU: idle, 16 -> 61 ms CPU/s in the API and 16 -> 48 at the broker.
    waiting_fetch_max_wait_ms: int = Field(default=20, ge=0, le=30_000)
    # How long the projection keeps fetching after a poll brought two events or more, while no `?wait=`
    # request waits, so that one transaction and one offset commit apply more of a burst's events
    # (0: apply what each poll brings). Status reads may lag the pipeline by this much more.
    projection_linger_ms: int = Field(default=50, ge=0, le=1000)
    # `DOCROUTE_ADMIN_API_KEY`: the operator's key (workflows, API keys, plans). None: only minted
    # workflow keys work, so nobody can create workflows.
    admin_api_key: SecretStr | None = None
    rate_limit: RateLimitSettings = RateLimitSettings()
    usage: UsageSettings = UsageSettings()
    webhooks: WebhookSettings = WebhookSettings()
    max_thumbnail_bytes: int = 256 * 1024
    # Seconds between retention sweeps (deleting documents past a workflow's retention_days); 0: off.
    retention_interval_s: float = Field(default=3600.0, ge=0)
    # At start: `migrate` the database under the migration lock (the embedded default, the tests),
    # or `wait` (bounded by schema_wait_s) until `docroute migrate` brought it to this code's
    # revision: deploy/k8s sets `wait` and runs the migration once per deploy in a Job.
    schema_at_start: Literal["migrate", "wait"] = "migrate"
    schema_wait_s: float = Field(default=300.0, gt=0)

    @field_validator("admin_api_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < MIN_ADMIN_KEY_CHARS:
            raise ValueError(f"admin_api_key must be at least {MIN_ADMIN_KEY_CHARS} characters")
        return key
