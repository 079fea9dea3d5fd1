"""Errors of the classifier area, under the root of `docroute.errors`.

DocrouteError
├── ModelArtifactError      a stored model is malformed or does not fit this code
└── UnknownEmbedderError    an embedder id no registry entry can load
"""

from __future__ import annotations

from docroute.errors import DocrouteError


class ModelArtifactError(DocrouteError, ValueError):
    """A model artifact is missing a file, malformed or internally inconsistent."""


class UnknownEmbedderError(DocrouteError, ValueError):
    """An embedder id that `load_embedder` does not know."""
