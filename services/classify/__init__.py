"""classify: consumes `document.text-extracted`; embeds the text with the embedder of the
workflow's live model version and emits `document.classified` with a calibrated probability
per class and an "unknown" flag. Follows `model.published` (every replica reads it whole) to
switch versions without a restart; no model yet means probabilities are empty and the router
sends the document to review. Scales on lag of document.text-extracted."""
