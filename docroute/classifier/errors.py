"""Errors of the classifier area, under the root of `docroute.errors`.

DocrouteError
├── ModelArtifactError      a stored model is malformed or does not fit this code
│   └── NewerModelError     well-formed, but written by a newer release (what it names is unknown here)
└── UnknownEmbedderError    an embedder id no registry entry can load
"""

from __future__ import annotations

from docroute.errors import DocrouteError


class ModelArtifactError(DocrouteError, ValueError):
    """A model artifact is missing a file, malformed or internally inconsistent."""


class NewerModelError(ModelArtifactError):
    """A model a newer release wrote: it names a part this code does not know (a TF-IDF analyzer,
    an array). A reader from before that release cannot use it, though nothing is wrong with it:
    during a rolling update the next replica can."""


class UnknownEmbedderError(DocrouteError, ValueError):
    """An embedder id that `load_embedder` does not know."""
