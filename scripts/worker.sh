#!/usr/bin/env bash
# The embedded default's background worker: runs queued syncs and, with the embedded beat (-B),
# the schedules (due connectors and the stale-run reaper, every minute). With no CELERY_BROKER_URL
# the broker is a filesystem transport under $MIGRATEIQ_VAR_DIR/celery (default var/celery).
# `make run` starts it in the background. Production runs `celery -A migrateiq worker` and one
# `celery -A migrateiq beat` instead (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."
VAR_DIR="${MIGRATEIQ_VAR_DIR:-var}"
mkdir -p "$VAR_DIR"
# SIGTERM: bounded shutdown (a running sync gets CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT, then goes back
# to the queue and resumes from its checkpoint); see docker/entrypoint.sh.
export REMAP_SIGTERM="${REMAP_SIGTERM:-SIGQUIT}"
exec .venv/bin/celery -A migrateiq worker -B \
  --schedule "$VAR_DIR/celerybeat-schedule" \
  --concurrency "${CELERY_WORKER_CONCURRENCY:-2}" \
  --loglevel "${LOG_LEVEL:-INFO}" \
  "$@"
