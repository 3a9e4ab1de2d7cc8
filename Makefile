# Two commands do all the set-up on a fresh clone:
#   make run    opens the cockpit   (creates .venv and installs pai into it)
#   make test   runs the test suite (also installs the system packages the suite needs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench system-deps clean
.DELETE_ON_ERROR:

run: $(VENV)/.run-installed
	$(BIN)/pai

test: system-deps $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check pai_tui tests benchmarks
	$(BIN)/lint-imports

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/stream_speed.py
	$(BIN)/python benchmarks/stream_realtime.py
	$(BIN)/python benchmarks/long_session.py
	$(BIN)/python benchmarks/skill_index.py
	$(BIN)/python benchmarks/route_speed.py
	$(BIN)/python benchmarks/route_accuracy.py
	$(BIN)/python benchmarks/rank_speed.py
	$(BIN)/python benchmarks/poll_speed.py
	$(BIN)/python benchmarks/search_speed.py --messages 100000  # the issue's 1,000,000: 26 min to build
	$(BIN)/python benchmarks/recall_speed.py
	$(BIN)/python benchmarks/history_open.py
	$(BIN)/python benchmarks/import_speed.py

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh test

# A half-made virtual environment is removed, so the next run starts it again.
$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pai needs Python 3.11 or newer (set PYTHON=python3.x)")'
	@PYTHON=$(PYTHON) scripts/system-deps.sh venv
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip || { rm -rf $(VENV); exit 1; }

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.run-installed

clean:
	rm -rf $(VENV) build dist .pytest_cache
