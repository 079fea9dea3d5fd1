"""The rules of workflows: creation and changes, labels, routing, the per-workflow docs."""
