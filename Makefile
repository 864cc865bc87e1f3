# MigrateIQ: `make run` starts the embedded default with demo data; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-sqlite test-postgres lint install bench clean

# The stamp's name holds a hash of pyproject.toml's contents: a new checkout (or a touch) of the same
# file installs nothing again, a changed one does.
$(STAMP):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev,deploy]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

run: install
	@scripts/run.sh

test: install
	@scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# dlt (the comparison) lives in its own venv so .venv keeps MigrateIQ's pinned versions.
bench: install
	$(PIP) install --quiet "pyinstrument==5.1.3"
	@test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	@.venv-bench/bin/python -c "import dlt" 2>/dev/null || .venv-bench/bin/pip install --quiet -r bench/requirements-dlt.txt
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var staticfiles .pytest_cache
