"""Model versions: history, promotions, thresholds and version files."""
