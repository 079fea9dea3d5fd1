"""Settings shared by every service: Kafka, S3, database, logging, health.

Environment variables use the prefix `DOCROUTE_` and `__` for nesting
(`DOCROUTE_KAFKA__BOOTSTRAP_SERVERS`). The standard names `KAFKA_BOOTSTRAP_SERVERS`,
`AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
`AWS_REGION` and `DATABASE_URL` are honoured too, below the prefixed ones.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class KafkaSettings(BaseModel):
    """How to reach the broker."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    # Joins wait half the session timeout: short timeouts keep rebalances to seconds.
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1000
    # DOCROUTE_KAFKA__FETCH_MAX_WAIT_MS: how long a fetch of partitions without new records waits
    # at the broker. faust fixes it at 1500 (docroute.faust_consumer sets this instead); Tansu
    # answers a waiting fetch only at its end, so every service added up to this per message.
    fetch_max_wait_ms: int = Field(default=100, ge=0, le=30_000)
    # DOCROUTE_KAFKA__ACTIVE_FETCH_MAX_WAIT_MS: the stream services' fetch wait while messages
    # flow, for DOCROUTE_KAFKA__ACTIVE_FETCH_WINDOW_MS after the last one received, then the one
    # above again (docroute.fetch_wait). Unset: always the one above, as Apache Kafka answers a
    # fetch when a record arrives; docroute.devstack sets it for Tansu.
    active_fetch_max_wait_ms: int | None = Field(default=None, ge=0, le=30_000)
    active_fetch_window_ms: int = Field(default=1000, ge=0, le=600_000)
    # DOCROUTE_KAFKA__BACKGROUND_FETCH_MAX_WAIT_MS: the fetch wait of consumers on no document's
    # way to its route: the followers of settings topics (docroute.catalog.TopicView: a stage
    # that must see a change made before the event it handles reads it on demand), the trainer
    # and the API's webhook consumer. Apache Kafka answers a fetch when a record arrives, so a
    # long wait costs nothing but fewer empty fetches; docroute.devstack sets a shorter one for
    # Tansu, which answers at the end of the wait. At most 20 s: kafka-python's consumers want
    # it below their 30 s request timeout.
    background_fetch_max_wait_ms: int = Field(default=5000, ge=0, le=20_000)
    partitions: int = 6
    replication_factor: int = 1
    # Consumer groups are `<group_prefix>-<service>`: two deployments sharing one cluster (or one
    # test module after another) set different prefixes so that neither reads the other's offsets.
    group_prefix: str = "docroute"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]


class S3Settings(BaseModel):
    """Where blobs live."""

    model_config = ConfigDict(frozen=True)

    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    bucket: str = "docroute"


class DatabaseSettings(BaseModel):
    """The API's database (PostgreSQL in production, SQLite for the embedded default)."""

    model_config = ConfigDict(frozen=True)

    url: str = "sqlite:///docroute.db"


class UsageSettings(BaseModel):
    """Plans (monthly page allowance, None = unlimited) and the credit price of a page/document.

    Both doors enforce the allowance (the API and ingest's mailroom door), so both read these.
    """

    model_config = ConfigDict(frozen=True)

    plans: dict[str, int | None] = {"free": 100, "starter": 5_000, "business": 50_000, "unlimited": None}
    default_plan: str = "free"
    credits_per_page: int = Field(default=15, ge=0)
    credits_per_document: int = Field(default=30, ge=0)

    @model_validator(mode="after")
    def _default_plan_exists(self) -> UsageSettings:
        if self.default_plan not in self.plans:
            raise ValueError(f"default_plan {self.default_plan!r} is not one of {sorted(self.plans)}")
        return self


class MailroomSettings(BaseModel):
    """The mailroom door's trust rule (`DOCROUTE_MAILROOM__...`; schemas/README.md, trust model).

    An attachment's `s3_ref` may name only the inbox: `s3://<inbox_bucket>/<inbox_prefix>...`,
    with `<workflow_id>/` after the prefix when `inbox_per_workflow`. Over-allowance mail gets
    `quota_policy`: `dead_letter` (the default: refused with `quota_exceeded`, like the HTTP
    door's 429), `hold` (retried until pages free up; blocks its partition, so one tenant only)
    or `meter_only` (accepted and metered past the allowance, for plans billed by overage).
    """

    model_config = ConfigDict(frozen=True)

    # None: the product bucket (DOCROUTE_S3__BUCKET), where the prefix must stay clear of its objects.
    inbox_bucket: str | None = None
    inbox_prefix: str = "inbox/"
    inbox_per_workflow: bool = True
    quota_policy: Literal["hold", "dead_letter", "meter_only"] = "dead_letter"


class ServiceSettings(BaseSettings):
    """What every docroute process needs; services subclass it with their own knobs."""

    model_config = SettingsConfigDict(
        env_prefix="DOCROUTE_",
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    kafka: KafkaSettings = KafkaSettings()
    s3: S3Settings = S3Settings()
    database: DatabaseSettings = DatabaseSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    health_host: str = "127.0.0.1"
    # 0 picks a free port (tests); deployments set a fixed one.
    health_port: int = 0
    # Local state (faust's data folder): never the working directory.
    data_dir: Path = Path(tempfile.gettempdir()) / "docroute"
    # SIGTERM finishes the message in flight if it ends within this, else gives it up uncommitted;
    # below Kubernetes' terminationGracePeriodSeconds (60 s in deploy/k8s).
    shutdown_grace_s: float = 45.0
    # `DOCROUTE_MAX_PAGES`, the one page cap: the most pages of a document read for classification
    # (the first ones, or those of the workflow's `relevant_pages`). OCR applies it, the API states
    # it; a longer document is never refused for its length, it is kept whole and routed.
    max_pages: int = Field(default=200, ge=1)
    # DOCROUTE_STREAM_CONCURRENCY: messages a stream service handles at once (one document's in
    # order); unset: the service's default (docroute.bus.DEFAULT_CONCURRENCY).
    stream_concurrency: int | None = Field(default=None, ge=1, le=64)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _StandardEnvSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )


_STANDARD_NAMES: dict[str, tuple[str, str]] = {
    "KAFKA_BOOTSTRAP_SERVERS": ("kafka", "bootstrap_servers"),
    "AWS_ENDPOINT_URL": ("s3", "endpoint_url"),
    "AWS_ENDPOINT_URL_S3": ("s3", "endpoint_url"),
    "AWS_ACCESS_KEY_ID": ("s3", "access_key_id"),
    "AWS_SECRET_ACCESS_KEY": ("s3", "secret_access_key"),
    "AWS_REGION": ("s3", "region"),
    "DATABASE_URL": ("database", "url"),
}


class _StandardEnvSource(PydanticBaseSettingsSource):
    """Reads the well-known, unprefixed variable names that Kafka, AWS and 12-factor tools use."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, str]] = {}
        for name, (group, key) in _STANDARD_NAMES.items():
            if os.environ.get(name):
                values.setdefault(group, {})[key] = os.environ[name]
        return values
