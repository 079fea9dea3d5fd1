"""router: consumes `document.classified`; sends each document to `extract.<class>` when its
confidence reaches the workflow's threshold for that class, otherwise to `review.pending`;
emits every decision on `document.routed`. Stateless but for its decision records in S3,
which make a redelivered message repeat the same route. Scales on lag of document.classified."""
