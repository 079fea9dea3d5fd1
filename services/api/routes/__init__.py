"""One router per resource: workflows, samples, processing, documents, health."""
