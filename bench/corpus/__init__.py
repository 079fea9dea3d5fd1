"""A corpus of real public documents for `bench/quality.py`: the build script and its manifest.

The documents stay out of git (default ``~/.cache/docroute-corpus``, or ``$DOCROUTE_CORPUS``);
``manifest.json`` records for each one its kind, language, near-duplicate group, sha256, where
it came from (repository + commit, or Debian package + version) and its licence.
"""
