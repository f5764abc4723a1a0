# The README's two commands are `make run` and `make test`; both set up everything they need first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TEST_STAMP := $(VENV)/.test-installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-fast lint typecheck bench screenshots extension system-deps node-deps clean help

help:
	@echo "make run        install papertray into $(VENV), link ~/.local/bin/papertray to it, and run it"
	@echo "                (tray when a display is present); options: make run ARGS=\"--no-tray --port 9000 -v\""
	@echo "make test       install everything the tests need (apt, pip, npm) and run every tier"
	@echo "make test-fast  unit + integration only, no browser or desktop tier"
	@echo "make bench      run the benchmarks and rewrite docs/benchmarks.md"
	@echo "make screenshots  retake the README's pictures into docs/screenshots/ (tests write elsewhere)"
	@echo "make extension  build dist/papertray-chrome.zip and the Firefox package"

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e .
	@rm -f $(VENV)/.installed-*; touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e '.[test]'
	@if [ "$$(uname)" = Linux ] && pkg-config --exists gobject-introspection-1.0 2>/dev/null; then \
	  $(PIP) install --quiet -e '.[gtk]' || echo "PyGObject did not build: the tray uses the xorg backend"; fi
	@rm -f $(VENV)/.test-installed-*; touch $@

# Options for `papertray run`, e.g. make run ARGS="--no-tray --port 9000 -v"
ARGS ?=

run: $(STAMP)
	@bash packaging/link-command "$(abspath $(VENV))/bin/papertray"
	$(VENV)/bin/papertray run $(ARGS)

system-deps:
	bash .ci/install-system-deps

node-deps: package.json
	@# every devDependency must be present: a node_modules from before one was added gets `npm ci` again
	@[ -d node_modules/web-ext ] && [ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --loglevel=error

test: system-deps $(TEST_STAMP) node-deps
	bash .ci/test-all

test-fast: $(TEST_STAMP)
	$(PY) -m pytest -q tests/unit tests/integration

lint: $(TEST_STAMP) node-deps
	$(VENV)/bin/ruff check daemon tests bench
	$(VENV)/bin/ruff format --check daemon tests bench
	$(VENV)/bin/mypy

bench: system-deps $(TEST_STAMP)
	$(PY) -m bench.run_all

screenshots: system-deps $(TEST_STAMP)
	PAPERTRAY_SCREENSHOTS=docs $(PY) -m pytest -q -k screenshot tests/browser tests/desktop

extension: node-deps
	bash packaging/build-extension

clean:
	rm -rf dist build *.egg-info .pytest_cache .mypy_cache .ruff_cache
