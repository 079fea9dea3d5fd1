"""Training data: samples, batches, annotation, readiness and preview."""
