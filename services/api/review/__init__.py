"""Review: the queue of uncertain documents, verdicts and the audit trail."""
