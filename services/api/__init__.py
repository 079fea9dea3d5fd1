"""docroute's HTTP API: workflows, the upload door, training requests and results.

Emits: `workflow.updated` (-> workflow.updated), `mail.received` from uploads (-> ingest.uploads),
`training.requested` (-> training.requested), `sample.labelled` (-> sample.labelled, key = workflow:
labelled training uploads once their text is extracted, and every label or removal by hand) and
`model.promoted` (-> model.published: promote, pin, roll back), and for a reviewer's verdict
`document.routed` (-> extract.<class> and document.routed) with its `sample.labelled`.
A retention thread deletes documents past their workflow's `retention_days`.
Consumes (projection into its database, consumer group `docroute-api`): document.received,
document.text-extracted, document.classified, document.routed, document.dead-letter,
model.published (with model.promoted). Webhooks (consumer group `docroute-api-webhooks`):
model.published, document.routed; deliveries are POSTed by a sender thread, retried with backoff.
Scales on HTTP requests: replicas share the database and the consumer groups.
"""
