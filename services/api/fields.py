"""Validated field types the request models of several domains share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def printable(value: str) -> str:
    """No control characters (PostgreSQL refuses NUL in text; names are shown and logged)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(printable)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]
Description = Annotated[str, Field(max_length=2000), AfterValidator(no_nul)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class ClassAliased(BaseModel):
    """A model with a field sent and read by its alias `class` (a Python keyword), by name too
    for clients that can. The config is written here, not shared as a value, so mypy's pydantic
    plugin sees that the field's name is accepted as well."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
