"""The projection thread, the projector, event positions and the projection's health."""
