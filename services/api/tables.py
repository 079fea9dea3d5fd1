"""The declarative base every domain's tables share, and the clock their defaults use."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base; `Base.metadata` is Alembic's target."""
