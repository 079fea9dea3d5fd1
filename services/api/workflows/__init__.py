"""Workflows: their settings, labels, routing, thumbnails and per-workflow OpenAPI."""
