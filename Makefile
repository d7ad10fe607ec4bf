# `make run` serves the app; `make test` runs lint and every test, browser tests included.
# Both do their own set-up on a fresh Debian machine with Python 3.11 (venv, pinned packages, Debian chromium).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test lint format bench bench-scale demo chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.stamp-app: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.stamp-app

# Debian packages: chromium for the browser tests; pango and fonts for the board pack (WeasyPrint); poppler-utils
# to look at the pack's pages (pdftoppm); haproxy for the tests and bench of more than one server (deploy/).
DEBS := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils haproxy

chromium:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

run: $(VENV)/.stamp-app
	$(BIN)/python -m boardpack --prebuild    # the newest snapshot's board papers, once (about ten seconds)
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.stamp-dev chromium lint
	CHROMIUM_PATH=$$(command -v chromium) $(BIN)/python -m pytest

bench: $(VENV)/.stamp-dev
	$(BIN)/python -m bench

bench-scale: $(VENV)/.stamp-dev chromium
	$(BIN)/python -m bench --scale

demo: $(VENV)/.stamp-app
	$(BIN)/python -m ingest demo --replace

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
