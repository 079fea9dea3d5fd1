"""The API's connections to the outside: database, S3, the broker, held for the app's life."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from docroute.blobstore import BlobStore
from docroute.errors import BrokerUnavailableError
from docroute.events import Outgoing
from docroute.kafka import EventProducer
from docroute.settings import KafkaSettings
from services.api.db import SessionFactory, make_background_engine, make_engine, make_sessionmaker
from services.api.settings import ApiSettings

if TYPE_CHECKING:
    from services.api.projection.service.thread import Projection

logger = logging.getLogger(__name__)


class LazyProducer:
    """An `EventProducer` made on first use, so the API starts (not ready) while the broker is down.

    `send` raises `BrokerUnavailableError` when the broker cannot be reached.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer: EventProducer | None = None
        self._lock = threading.Lock()
        self._attempt: threading.Thread | None = None

    def get(self) -> EventProducer:
        with self._lock:
            if self._producer is None:
                self._producer = EventProducer(self._settings)
            return self._producer

    def ready(self) -> bool:
        """True once connected; otherwise starts one connection attempt in the background.

        Never blocks: a probe must answer at once, and connecting may take the client's
        whole bootstrap timeout.
        """
        if self._producer is not None:
            return True
        if self._attempt is None or not self._attempt.is_alive():
            self._attempt = threading.Thread(target=self._connect, name="producer", daemon=True)
            self._attempt.start()
        return False

    def _connect(self) -> None:
        try:
            self.get()
        except BrokerUnavailableError as exc:
            logger.warning("producer not connected: %s", exc)

    def send(self, outgoing: Iterable[Outgoing]) -> None:
        self.get().send(list(outgoing))

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close()
                self._producer = None


@dataclass
class Resources:
    """Everything a request or the projection needs; built in the app's lifespan."""

    settings: ApiSettings
    engine: Engine
    sessions: SessionFactory
    blobstore: BlobStore
    producer: LazyProducer
    projection: Projection | None = field(default=None)
    # The projection's and the webhooks' (see `make_background_engine`); requests use `sessions`.
    background_engine: Engine | None = field(default=None)
    background_sessions: SessionFactory | None = field(default=None)

    @classmethod
    def connect(cls, settings: ApiSettings) -> Resources:
        engine = make_engine(settings.database.url)
        background = make_background_engine(settings.database.url, engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            blobstore=BlobStore(settings.s3),
            producer=LazyProducer(settings.kafka),
            background_engine=background,
            background_sessions=make_sessionmaker(background),
        )

    def close(self) -> None:
        if self.projection is not None:
            self.projection.stop()
        self.producer.close()
        self.engine.dispose()
        if self.background_engine is not None:
            self.background_engine.dispose()
