"""docroute's HTTP API: workflows, the upload door, training requests and results.

Emits: `workflow.updated` (-> workflow.updated), `mail.received` from uploads (-> ingest.uploads),
`training.requested` (-> training.requested) and, for labelled training uploads once their text is
extracted, `sample.labelled` (-> sample.labelled).
Consumes (projection into its database, consumer group `docroute-api`): document.received,
document.text-extracted, document.classified, document.routed, document.dead-letter,
model.published.
Scales on HTTP requests: replicas share the database and the consumer group.
"""
