"""The rules of training data: batches, annotation and readiness."""
