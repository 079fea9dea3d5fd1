"""Pure intake logic: bytes in, accepted documents or reasoned rejections out."""

from services.ingest.core.intake import AcceptedFile, IntakeLimits, RejectedFile, take_in

__all__ = ["AcceptedFile", "IntakeLimits", "RejectedFile", "take_in"]
