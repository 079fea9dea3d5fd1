"""trainer: consumes `sample.labelled` (keeps each workflow's labelled set in S3) and
`training.requested`; trains after every N new labels or on request, evaluates by stratified
cross-validation, publishes an immutable version `models/<workflow>/v<N>/` and emits
`model.published`: live only when the promotion gate finds it not worse than the live version on
the same samples (promotion.py), a candidate with the reason otherwise. Follows the model.published
topic (promotions included) to know the live version. Both input topics are keyed by workflow, so
one replica owns a workflow's set. It also reads `document.text-extracted` for the unlabelled
samples (one S3 record each, whichever replica gets it): every version it publishes stores its
guess for each of them (`predictions.json`), which the labelling pane pre-selects; a sample read
later is guessed by the live version as it arrives, and a version going live (model.published,
promotions included) guesses those it has none for (guesses.py)."""
