#!/bin/sh
# MigrateIQ's container entrypoint: `web` (the default), `worker`, `beat`, `migrate`, or any command.
#
# 1. Waits for the database (DATABASE_URL) to accept connections, at most
#    MIGRATEIQ_DATABASE_WAIT_SECONDS (default 60), so a process started beside its database does not
#    crash-loop.
# 2. Runs the migrations only when MIGRATEIQ_MIGRATE_ON_START=1 (one-host setups). With several
#    replicas, migrate once instead: `migrate` as a job (Kubernetes: deploy/k8s/base/migrate-job.yaml,
#    Compose: the `migrate` service).
# 3. Execs the process, so it receives SIGTERM itself and stops gracefully.
set -eu
cd "$(dirname "$0")/.."

# Compose shares one metrics volume between the web and worker containers: each container's
# processes write to a directory of their own (the container's host name), so process ids of
# different containers never share a file; the web's /metrics adds up the whole volume.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ] && [ "${MIGRATEIQ_METRICS_SUBDIR:-0}" = "1" ]; then
  PROMETHEUS_MULTIPROC_DIR="$PROMETHEUS_MULTIPROC_DIR/$(hostname)"
  export PROMETHEUS_MULTIPROC_DIR
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
fi
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

python docker/wait_for_database.py

if [ "${MIGRATEIQ_MIGRATE_ON_START:-0}" = "1" ]; then
  python manage.py migrate --noinput
fi

command="${1:-web}"
if [ $# -gt 0 ]; then shift; fi
case "$command" in
  web)
    exec gunicorn migrateiq.wsgi -c gunicorn.conf.py "$@"
    ;;
  worker)
    # SIGTERM starts Celery's cold shutdown, which first waits CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT for
    # a running sync, then hands it back to the queue: bounded, unlike the warm shutdown, which waits
    # for the sync to end however long it takes. (Read by billiard at import: it must be in the env.)
    export REMAP_SIGTERM="${REMAP_SIGTERM:-SIGQUIT}"
    exec celery -A migrateiq worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
  beat)
    exec celery -A migrateiq beat --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule "${CELERY_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}" "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
