"""Celery configuration, derived from the Django settings (lower-case Celery names)."""

from django.conf import settings

broker_connection_retry_on_startup = True
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_track_started = False
task_ignore_result = True
result_backend = None
timezone = "UTC"
enable_utc = True
worker_concurrency = settings.CELERY_WORKER_CONCURRENCY
worker_lost_wait = settings.CELERY_WORKER_LOST_WAIT
task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
worker_hijack_root_logger = False
task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
# With REMAP_SIGTERM=SIGQUIT (docker/entrypoint.sh, scripts/worker.sh), SIGTERM waits this long for a
# running task, then requeues it (late acknowledgement) and stops: a worker always exits within its
# orchestrator's grace period.
worker_soft_shutdown_timeout = settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT

if settings.CELERY_EMBEDDED_BROKER:
    from migrateiq.embedded_broker import SCHEME, transport_options

    # kombu's filesystem transport, with messages written whole (see embedded_broker.py).
    broker_url = f"{SCHEME}://localhost//"
    broker_transport_options = transport_options(settings.CELERY_FILESYSTEM_DIR)
else:
    broker_url = settings.CELERY_BROKER_URL or ""  # set whenever the embedded broker is not used
    # Unacknowledged messages (late acks) return to the queue after the visibility timeout: a
    # duplicate delivery of a sync that is running or finished does nothing, and a killed worker's
    # sync is resumed by the reaper. No task uses a countdown or ETA; one must stay below it.
    broker_transport_options = {"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT}
    if settings.CELERY_BROKER_KEY_PREFIX:
        broker_transport_options["global_keyprefix"] = settings.CELERY_BROKER_KEY_PREFIX

# The platform's own scheduled work (the reapers every minute; a run that waited behind long syncs
# past the next one is dropped). Modules declare theirs (their AppConfig's beat_schedule, core/extensions.py);
# migrateiq/celery.py adds them once Django's apps are loaded.
beat_schedule: dict[str, dict] = {
    # A worker records that the background work runs (core.background_health): a tick that stops
    # coming is shown by GET /api/status/, the web UI and /metrics.
    "record-background-tick": {
        "task": "core.tasks.record_background_tick",
        "schedule": settings.MIGRATEIQ_BACKGROUND_TICK_SECONDS,
        "options": {"expires": settings.MIGRATEIQ_BACKGROUND_TICK_SECONDS},
    },
    "reap-stale-syncs": {
        "task": "sync_engine.tasks.reap_stale_syncs",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "reap-stale-loads": {
        "task": "destinations.tasks.reap_stale_loads",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Hourly: a row of an ended sign-in session is kept while a token of it could still be valid;
    # the rows of refresh tokens (one per sign-in and per refresh) once the token has expired.
    "purge-ended-sessions": {
        "task": "tenancy.tasks.purge_ended_sessions",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}
