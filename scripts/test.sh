#!/usr/bin/env bash
# The whole test suite: lint, types, checks, then pytest on SQLite and again on PostgreSQL (with the
# deployment checks and the multi-host test), then the web UI. Installs / starts what it needs first
# (scripts/services.sh: Chromium, PostgreSQL, Redis, iproute2).
# PostgreSQL: the server at $TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# each run creates and drops its own uniquely named database there.
# Redis at $TEST_REDIS_URL (default redis://127.0.0.1:6379/15) for the Celery / cache tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh  # before the defaults below: it starts local services only when none are given
PY=.venv/bin/python
stage() { echo "== $* (at ${SECONDS} s)"; }  # each stage says when it started: where a slow run spent its time
export PYTHONDONTWRITEBYTECODE=1
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# More pytest workers than cores: many tests wait on processes they start (Celery workers, web
# servers, the multi-host run) or on time (rate limits, heartbeats); with two workers on two cores
# the cores were busy 1.1 of 2 on average. Measured on 2 cores: SQLite 8.2 min with two workers,
# 7.1-7.8 with three, 8.7 with four (its file databases); PostgreSQL 7.8 with two, 6.3 with four.
SQLITE_WORKERS="${TEST_WORKERS:-3}"
PG_WORKERS="${TEST_WORKERS:-4}"

stage "ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/bandit -q --ini .bandit -ll  # security lint: no medium or high findings (see .bandit)

stage "mypy (platform packages)"
MIGRATEIQ_VAR_DIR="$(mktemp -d)" .venv/bin/mypy

stage "django checks"
DEBUG=1 $PY manage.py check
DEBUG=1 $PY manage.py makemigrations --check --dry-run >/dev/null

run_pytest() {
  # pytest exits 5 when it collected nothing: that is a failure here, not a pass.
  set +e
  .venv/bin/pytest -n "$WORKERS" --dist loadgroup -q "$@"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then echo "pytest collected no tests"; return 1; fi
  return "$rc"
}

stage "pytest on SQLite"
WORKERS="$SQLITE_WORKERS" MIGRATEIQ_VAR_DIR="$(mktemp -d)" run_pytest "$@"

stage "pytest on PostgreSQL"
keys_dir="$(mktemp -d)"
DATABASE_URL="$PG_URL" \
SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')" \
JWT_SIGNING_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(48))')" \
MIGRATEIQ_FIELD_ENCRYPTION_KEYS="$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
MIGRATEIQ_HTTPS=0 \
MIGRATEIQ_VAR_DIR="$keys_dir" \
WORKERS="$PG_WORKERS" \
run_pytest --ignore=deploy/tests "$@"  # tests without the Django database are deselected (conftest.py); deploy/tests use none (the multi-host test makes its own PostgreSQL one): once is enough
stage "web UI: unit tests (vitest), then its type check and build, end-to-end run in Chromium"
if ! command -v npm >/dev/null 2>&1; then echo "npm is missing: the web UI tests need Node.js 20+"; exit 1; fi
(
  cd frontend
  timeout 300 npm ci --no-audit --no-fund --loglevel=error
  # The limits only stop a hung run: a 2-core host at a third of another's speed took 7 min for the
  # unit tests and 250 s for the end-to-end run while other work shared it (quiet: ~80 s and ~130 s).
  timeout 900 npm test
  # the end-to-end run builds the UI with `npm run build`, whose first step is the type check
  E2E_TIMEOUT_SECONDS=600 timeout 660 npm run --silent e2e
)
stage "all test runs passed"
