#!/usr/bin/env bash
# The embedded default: SQLite, local cache, a filesystem Celery broker and the logs of the processes
# it starts, all under var/ (MIGRATEIQ_VAR_DIR), which only this user can read.
# Starts the demo upstream API (127.0.0.1:8001), a background worker with the scheduler, and the
# web server on http://127.0.0.1:8000 (MIGRATEIQ_PORT / DEMO_API_PORT change the ports). Ctrl-C stops
# everything at once: the terminal's SIGINT reaches every process, and the trap below stops the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# Started with & from a script (`make run &`), this shell ignores SIGINT and SIGQUIT, and bash cannot
# trap a signal ignored on entry: a Ctrl-C (or `kill -INT`) of the process group stopped the web
# server while this script started the worker again and never ended. Start once more with both
# signals back to their defaults, so that the traps below take them.
if [ -n "$(trap -p INT)" ] && [ -z "${MIGRATEIQ_RUN_SIGNALS_RESET:-}" ]; then
  export MIGRATEIQ_RUN_SIGNALS_RESET=1
  exec "$PY" -c 'import os, signal, sys
for number in (signal.SIGINT, signal.SIGQUIT):
    signal.signal(number, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BASH" "$PWD/scripts/run.sh" "$@"
fi
PORT="${MIGRATEIQ_PORT:-8000}"
DEMO_PORT="${DEMO_API_PORT:-8001}"
# The demo API's port is always allowed, so that a list given for an API of your own (e.g. one on
# 127.0.0.1:9000) adds to it rather than shutting the demo connector out.
export MIGRATEIQ_EGRESS_ALLOWLIST="127.0.0.1:$DEMO_PORT${MIGRATEIQ_EGRESS_ALLOWLIST:+,$MIGRATEIQ_EGRESS_ALLOWLIST}"
VAR_DIR="${MIGRATEIQ_VAR_DIR:-var}"
LOG_DIR="$VAR_DIR/log"
# The logs may name connectors, hosts and accounts: private like the rest of var/ (0700, files 0600),
# existing ones tightened.
(umask 077 && mkdir -p "$LOG_DIR" && touch "$LOG_DIR/demo_api.log" "$LOG_DIR/worker.log")
chmod 700 "$VAR_DIR" "$LOG_DIR"
chmod 600 "$LOG_DIR/demo_api.log" "$LOG_DIR/worker.log"

# A port another program holds would let everything start and then the web server fail five times.
port_taken() { $PY -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"; }
for spec in "MIGRATEIQ_PORT:$PORT" "DEMO_API_PORT:$DEMO_PORT"; do
  if port_taken "${spec#*:}"; then
    echo "Port ${spec#*:} on 127.0.0.1 is in use. Stop what holds it, or choose another port: ${spec%%:*}=<port> make run" >&2
    exit 1
  fi
done

pids=()
worker_pid=""
stopped=""
# Whether $1 is one of this script's background processes, still running. bash lists a job until it
# has reaped it, so a listed PID is ours: a process that ended was reaped as it ended (bash waits for
# its children as they exit), and its number may be a stranger's by the time the cleanup runs; that
# PID (or its children, `pkill -P`) must never be signalled.
own_running() {
  local pid
  for pid in $(jobs -pr); do [ "$pid" = "$1" ] && return 0; done
  return 1
}
cleanup() {
  [ -n "$stopped" ] && return
  stopped=1
  # The worker makes a warm shutdown on SIGINT: its pool processes stop a running sync at the next
  # page boundary, resumable with its committed pages (migrateiq/celery.py), and it exits when they
  # are done, in about 5 s. Ctrl-C sent that SIGINT to every process already; a SIGTERM of this
  # script (or an error) sends it here. A second SIGINT would be Celery's cold shutdown, which kills
  # a sync mid-page; SIGQUIT comes only if the worker is still running after 15 s.
  # The web server and the demo API first: they stop at once while the worker finishes its page.
  # Only processes still running as this script's own are signalled (own_running).
  for pid in "${pids[@]}"; do
    if own_running "$pid"; then kill "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$worker_pid" ] && own_running "$worker_pid"; then
    if [ "${1:-}" != INT ]; then pkill -INT -P "$worker_pid" 2>/dev/null || true; kill -INT "$worker_pid" 2>/dev/null || true; fi
    for _ in $(seq 150); do own_running "$worker_pid" || break; sleep 0.1; done
    if own_running "$worker_pid"; then
      pkill -QUIT -P "$worker_pid" 2>/dev/null || true
      kill -QUIT "$worker_pid" 2>/dev/null || true
    fi
  fi
  wait 2>/dev/null || true
  echo "MigrateIQ stopped: web server, worker and demo API (data kept in $VAR_DIR/)."
}
trap 'cleanup INT' INT
trap cleanup EXIT TERM

if [ "${MIGRATEIQ_SKIP_UI_BUILD:-0}" != "1" ] && command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then scripts/build_ui.sh || echo "web UI build failed: http://127.0.0.1:$PORT/ says how to build it"; fi
$PY manage.py migrate --noinput -v0
$PY manage.py demo_api --port "$DEMO_PORT" --records 500 --page-size 50 --api-key demo-key >"$LOG_DIR/demo_api.log" 2>&1 &
pids+=($!)
# The worker runs every queued sync and the schedules: if it stops on its own (a crash), every sync
# would stay PENDING while the web server answers. It is started again, saying so here, with a
# growing pause (2 s, then up to 30 s while it keeps stopping within a minute). A Ctrl-C (SIGINT)
# or this script's cleanup stops the loop and waits for the worker's warm shutdown.
# A command started with & in a script ignores SIGINT (bash does so without job control, and no
# script can undo it): a worker still starting up when Ctrl-C came would miss it and run on (Celery
# handles SIGINT itself only once it is up). Started through this, SIGINT is back to its default.
# It starts the command itself in the background (so $! is the command, not a subshell waiting for
# it, which would ignore the signals this script sends it and leave the command running).
background_with_sigint() { "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@" & }
supervise_worker() {
  local stop="" child rc pause=2 started
  trap 'stop=1' INT TERM
  while :; do
    started=$SECONDS
    background_with_sigint scripts/worker.sh >>"$LOG_DIR/worker.log" 2>&1
    child=$!
    rc=0
    while kill -0 "$child" 2>/dev/null; do wait "$child" && rc=0 || rc=$?; done
    [ -n "$stop" ] && return 0
    if [ $((SECONDS - started)) -ge 60 ]; then pause=2; fi
    echo "MigrateIQ: the background worker stopped (exit $rc; see $LOG_DIR/worker.log); starting it again in $pause s." >&2
    sleep "$pause" & wait $! || true
    [ -n "$stop" ] && return 0
    pause=$((pause * 2 > 30 ? 30 : pause * 2))
  done
}
if [ -x scripts/worker.sh ]; then
  : >"$LOG_DIR/worker.log"
  supervise_worker &
  worker_pid=$!
fi
$PY manage.py seed_demo --api-url "http://127.0.0.1:$DEMO_PORT/users"
cat <<TXT
  Web UI / API:  http://127.0.0.1:$PORT/           API docs: http://127.0.0.1:$PORT/api/docs/
  Admin:         http://127.0.0.1:$PORT/admin/
  Demo API:      http://127.0.0.1:$DEMO_PORT/users      Logs: $LOG_DIR/
TXT
# gunicorn (the production web server): one process with four threads, because the embedded
# default's cache lives in process memory and the login throttle and lockout must count in one
# place (production shares Redis between any number of workers). Request lines come from MigrateIQ.
# Started in the background and waited for: bash runs a trap only once its foreground command has
# ended, so a SIGTERM of this script would have waited for the web server to stop on its own.
background_with_sigint .venv/bin/gunicorn migrateiq.wsgi -c gunicorn.conf.py --bind "127.0.0.1:$PORT" --workers 1 --threads 4
pids+=($!)
wait "$!"
