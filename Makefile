# The two quick-start commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= build/demo

.PHONY: demo test lint bench clean-venv

$(BIN)/ytm-doctor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Build the sample factory and scan it. Exit 1 (violations found) is the expected outcome.
demo: $(BIN)/ytm-doctor
	$(BIN)/ytm-doctor demo --dest $(DEMO)
	$(BIN)/ytm-doctor --config $(DEMO)/ytm-doctor.yaml || [ $$? -eq 1 ]

# Lint, then the whole test suite.
test: $(BIN)/ytm-doctor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(BIN)/ytm-doctor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Side-by-side timings against find, cp + sha256sum and rsync, find over a real sshfs mount,
# and start-up against `python -c pass` (each script says how; the network one skips where
# sshfs/sshd/FUSE are missing).
bench: $(BIN)/ytm-doctor
	$(BIN)/python benchmarks/bench_scan.py --entries 1000000
	$(BIN)/python benchmarks/bench_store.py
	$(BIN)/python benchmarks/bench_mirror.py
	$(BIN)/python benchmarks/bench_html.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_network.py

clean-venv:
	rm -rf $(VENV)
