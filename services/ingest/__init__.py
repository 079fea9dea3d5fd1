"""ingest: consumes `mailroom.incoming` (mail from outside) and `ingest.uploads` (the API's
upload door) - two doors, one intake path. Detects types by magic bytes, enforces size and
page caps, expands zips (bomb, nesting and path checks), stores originals under their
content hash and emits `document.received`, or `document.failed` with the reason.
Scales on lag of both topics."""
