"""The rules of model versions: history, promotions, thresholds, version files."""
