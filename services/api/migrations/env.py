"""Alembic environment: runs migrations online against `sqlalchemy.url` (or `-x url=...`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

# Imported for their tables: Base.metadata must hold every table.
from services.api.access import models as access_models  # noqa: F401
from services.api.documents import models as documents_models  # noqa: F401
from services.api.projection import models as projection_models  # noqa: F401
from services.api.review import models as review_models  # noqa: F401
from services.api.tables import Base
from services.api.training import models as training_models  # noqa: F401
from services.api.versions import models as versions_models  # noqa: F401
from services.api.webhooks import models as webhooks_models  # noqa: F401
from services.api.workflows import models as workflows_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or pass -x url=...")
    return url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
