"""Routes of access: /keys, usage, plans and credits."""

from services.api.access.routes import keys, usage

__all__ = ["keys", "usage"]
