# jingwang — the two commands: `make demo` and `make test`. Both start with `make setup` and are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export JINGWANG_HOME ?= $(CURDIR)/.jingwang

.PHONY: setup system venv demo test lint typecheck pytest interop bench db-stop clean

setup: system venv

system:
	@scripts/setup-system.sh

venv: $(VENV)/.installed webmap/static/vendor/.fetched $(VENV)/.compiled

# The compiled kernels (numba, cached next to their sources): built here rather than on the first request.
$(VENV)/.compiled: $(VENV)/.installed $(wildcard geo/_*.py)
	$(BIN)/python -c "from geo import _scan, pairarea; pairarea.warm_up(); _scan.warm_up()"
	@touch $@

# Browser libraries that no pip package ships (Leaflet.VectorGrid), from the npm registry, pinned and verified.
webmap/static/vendor/.fetched: scripts/fetch_assets.py $(VENV)/.installed
	$(BIN)/python scripts/fetch_assets.py
	@touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,server]'
	@touch $@

demo: setup
	$(BIN)/jingwang db start
	$(BIN)/jingwang demo
	$(BIN)/jingwang serve --host $(HOST) --port $(PORT)

test: setup lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest

# QGIS itself (headless) opens the OGC API and the vector tiles: heavy to install, so not part of `make test`.
interop: setup
	@scripts/setup-interop.sh
	JINGWANG_INTEROP=1 $(BIN)/pytest tests/interop

bench: setup
	$(BIN)/python -m bench

db-stop:
	$(BIN)/jingwang db stop

clean: db-stop
	rm -rf $(VENV) $(JINGWANG_HOME)
