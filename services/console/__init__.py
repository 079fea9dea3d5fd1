"""The console: a web interface for the people who train and run classifiers. It is a client of
the public HTTP API like any other (it calls it with the signed-in user's key), server-rendered
with Jinja2 templates and htmx; it consumes and emits no topic and scales on HTTP requests."""
