"""classify: consumes `document.text-extracted`; embeds the text with the embedder of the
workflow's live model version and emits `document.classified` with a calibrated probability
per class, an "unknown" flag and an explanation (nearest training samples, strongest terms).
Follows `model.published` and `model.promoted` (every replica reads the topic whole; the last
event wins) to switch versions without a restart, and `sample.deleted` (also read whole) to
forget deleted samples at once; every version it loads leaves out the samples recorded as
deleted in S3. A preview classifies with the candidate version it names. No model (version 0)
means probabilities are empty and the router sends the document to review. Scales on lag of
document.text-extracted."""
