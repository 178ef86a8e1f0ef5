# LiveBridge. Quick start: `make demo` (console at http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/livebridge/web/static/vendor
MODELS := var/models/text/manifest.json
PYTEST_ARGS ?=

.PHONY: install models demo serve test lint typecheck pytest messages clean

install: $(STAMP) $(VENDOR)/.installed

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	touch $@

# The comment models are trained from the shared data (about 15 s) when they are not there yet.
$(MODELS): | $(STAMP)
	$(BIN)/livebridge nlp train

models: install $(MODELS)

demo: install $(MODELS)
	$(BIN)/livebridge demo --serve

serve: install $(MODELS)
	$(BIN)/livebridge serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy src tests bench

pytest: install $(MODELS)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -o src/livebridge/web/locale/messages.pot .
	$(BIN)/pybabel update -i src/livebridge/web/locale/messages.pot -d src/livebridge/web/locale --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache
