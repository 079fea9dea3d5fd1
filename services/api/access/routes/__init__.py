"""Routes of access: /keys, usage, plans and credits."""

from services.api.access.routes import keys, usage, usage_days

__all__ = ["keys", "usage", "usage_days"]
