# Everything a fresh machine needs. PY is the interpreter used to create the virtualenv.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU wheel for this machine; GPU users: install your own torch first, then `make setup TORCH=`.
TORCH ?= torch==2.13.0

.PHONY: setup demo test bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

setup: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	@if [ -n "$(TORCH)" ]; then $(BIN)/pip install -q "$(TORCH)"; fi
	$(BIN)/pip install -q -e ".[test]"

demo: setup
	$(BIN)/python examples/demo.py

test: setup
	$(BIN)/python -m pytest -q

# every benchmark script prints its own table (see tests/benchmarks/README.md)
bench: setup
	@for f in tests/benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
