"""The rules of documents: intake, status, queries, results, deletion and retention."""
