"""Bad inputs through both doors, against one stack started for this package."""
