# Two entry points (README): `make repl` and `make test`. Everything else is a step they share.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch: the CPU build. On this machine pip finds torch 2.13.0 (CPU) on disk; elsewhere set
# TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu" to avoid the multi-GB CUDA build.
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=

.PHONY: setup repl ingest test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)" $(TORCH_INDEX)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

ingest: setup
	$(BIN)/panelist ingest

repl: ingest
	$(BIN)/panelist repl

lint: setup
	$(BIN)/ruff check .

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: ingest
	$(BIN)/panelist bench

clean:
	rm -rf $(VENV) data .pytest_cache
