"""Documents: the upload door, processing, queries, results, deletion, retention, events."""
