"""trainer: consumes `sample.labelled` (keeps each workflow's labelled set in S3) and
`training.requested`; trains after every N new labels or on request, evaluates by stratified
cross-validation, publishes an immutable version `models/<workflow>/v<N>/` and emits
`model.published`. Both topics are keyed by workflow, so one replica owns a workflow's set."""
