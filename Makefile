# The README's two commands: `make run` (embedded default) and `make test`.
# Both set up what is missing first: Debian packages, the virtualenv, the pinned CPU torch.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench lock

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh --with-test-fonts
	python3 -c 'import sys; assert sys.version_info >= (3, 11), "docroute needs Python >= 3.11"'
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# Pinned first: an unpinned torch pulls gigabytes of CUDA wheels.
	$(PY) -m pip install --quiet torch==2.13.0
	# Every version from the lock: two installs a month apart agree (`make lock` refreshes it).
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

run: $(STAMP)
	$(VENV)/bin/docroute up

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) bench/pipeline.py

# Re-resolve every dependency in a throwaway venv (the same steps as setup) into constraints.txt.
lock:
	bash scripts/lock-dependencies.sh
