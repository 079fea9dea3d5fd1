"""router: consumes `document.classified`; sends each document to its class's topic in the
workflow's routing (`extract.<class>`, `extract.<workflow key>.<class>` or a topic the operator
named; docroute.routing) when its confidence reaches the workflow's threshold for that class,
otherwise to `review.pending`;
emits every decision on `document.routed`. Stateless but for its decision records in S3,
which make a redelivered message repeat the same route. Scales on lag of document.classified."""
