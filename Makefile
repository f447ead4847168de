# The README's two commands: `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lint clean espeak-ng spamassassin

$(BIN)/python:
	@echo "== Creating the Python environment in $(VENV)"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	@echo "== Installing Marketing Autopilot and its libraries (the first time takes a minute or two)"
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	@echo "== Installing Marketing Autopilot with its test tools (the first time takes a minute or two)"
	$(BIN)/pip install -q -e '.[dev]'

run: install espeak-ng
	@echo "== Bringing the database up to date"
	$(BIN)/autopilot db upgrade
	$(BIN)/autopilot serve --host $(HOST) --port $(PORT)

test: install-dev espeak-ng spamassassin
	@echo "== Running the tests"
	$(BIN)/pytest $(PYTEST_ARGS)

# Voice ads are spoken offline by espeak-ng (a Debian package): installed when missing and
# we are root, else we say how.
espeak-ng:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q espeak-ng || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q espeak-ng; }; \
	  else \
	    echo "espeak-ng is missing: voice ads need it. Install it with: sudo apt-get install -y espeak-ng"; \
	  fi; }

# The slow test tests/integrations/test_spamassassin.py scores our mail with Debian's
# SpamAssassin (local rules): installed when missing and we are root, else skipped.
spamassassin:
	@command -v spamassassin >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q spamassassin || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q spamassassin; }; \
	  else \
	    echo "spamassassin is missing: its test is skipped. Install it with: sudo apt-get install -y spamassassin"; \
	  fi; }

# ruff, then the layer contracts of pyproject.toml ([tool.importlinter]).
lint: install-dev
	$(BIN)/ruff check webapp jobs tests bench
	$(BIN)/ruff format --check webapp jobs tests bench
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance/*.db
