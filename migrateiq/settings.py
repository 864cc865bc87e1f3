"""MigrateIQ settings: one module, driven by environment variables.

Two ways to run:

* Embedded default (no ``DATABASE_URL``): SQLite under ``var/``, local-memory cache, Celery on a
  filesystem transport under ``var/``. Secrets that are not given are generated once and kept in
  ``var/`` (mode 0600) so that a newcomer's first run needs no configuration.
* Production (``DATABASE_URL`` set): PostgreSQL, Redis (cache + broker), secrets from the
  environment. Missing secrets stop the process at start-up instead of weakening it.

Every variable is listed in the README.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet

from core.extensions import enabled_extensions
from migrateiq.env import (
    ConfigurationError,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    persistent_secret,
    private_directory,
    private_file,
    random_token,
)
from migrateiq.version import __version__

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MIGRATEIQ_VAR_DIR", str(BASE_DIR / "var")))

DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED = not DATABASE_URL
DEBUG = env_bool("DEBUG", False)
if EMBEDDED or DEBUG:
    # var/ holds the embedded database and the generated secrets: this user's only (0700).
    private_directory(VAR_DIR)


def _secret(name: str, filename: str, generate=random_token) -> str:
    value = env_str(name)
    if value:
        return value
    if EMBEDDED or DEBUG:
        return persistent_secret(VAR_DIR / "secrets" / filename, generate)
    raise ConfigurationError(
        f"{name} is required in production (DATABASE_URL is set and DEBUG is off). "
        "See the README's list of environment variables."
    )


SECRET_KEY = _secret("SECRET_KEY", "secret_key")
# Separate keys: the JWT signing key and the field-encryption keys are never SECRET_KEY.
JWT_SIGNING_KEY = _secret("JWT_SIGNING_KEY", "jwt_signing_key")
if len(JWT_SIGNING_KEY) < 32:
    # HS256 with a short key can be brute-forced offline from any token (RFC 7518 section 3.2).
    raise ConfigurationError("JWT_SIGNING_KEY must be at least 32 characters long.")
MIGRATEIQ_FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _secret(
        "MIGRATEIQ_FIELD_ENCRYPTION_KEYS", "field_encryption_key", lambda: Fernet.generate_key().decode()
    ).split(",")
    if key.strip()
]

# Fail at start-up, not at the first secret stored: a typo in a key must not surface as a 500 later.
if not MIGRATEIQ_FIELD_ENCRYPTION_KEYS:
    raise ConfigurationError("MIGRATEIQ_FIELD_ENCRYPTION_KEYS holds no key.")
for _position, _key in enumerate(MIGRATEIQ_FIELD_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key.encode())
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"MIGRATEIQ_FIELD_ENCRYPTION_KEYS: key {_position} is not a Fernet key "
            "(32 url-safe base64-encoded bytes; generate one with Fernet.generate_key())."
        ) from None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if (EMBEDDED or DEBUG) else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Before django.contrib.auth: its ``changepassword`` command records the change in the audit trail.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    # The platform.
    "core",
    "tenancy",
    "sync_engine",
    "destinations",
]
# Modules: apps in their own folders that plug into the platform through their AppConfig
# (core/extensions.py: API prefix, beat entries, metrics, test fixtures). The platform never
# imports them (core/tests/test_layers.py); they come after the platform apps.
# Modules (core/extensions.py, docs/extensions.md): those listed, then (unless discovery is off) those
# installed distributions offer through the "migrateiq.extensions" entry points.
MIGRATEIQ_EXTENSION_DISCOVERY = env_bool("MIGRATEIQ_EXTENSION_DISCOVERY", True)
MIGRATEIQ_EXTENSIONS = enabled_extensions(
    env_list("MIGRATEIQ_EXTENSIONS", ["demo_extension", "audit", "webhooks"]),
    discover=MIGRATEIQ_EXTENSION_DISCOVERY,
)
for _module in MIGRATEIQ_EXTENSIONS:
    if not _module.isidentifier() or _module in INSTALLED_APPS:
        raise ConfigurationError(
            f"MIGRATEIQ_EXTENSIONS: {_module!r} is not a module's package name (or is installed already)."
        )
INSTALLED_APPS += MIGRATEIQ_EXTENSIONS

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.request_limits.RequestBodyLimitMiddleware",
    "core.static_files.StaticFilesMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "migrateiq.urls"
WSGI_APPLICATION = "migrateiq.wsgi.application"
ASGI_APPLICATION = "migrateiq.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES: dict[str, Any]
# (`not DATABASE_URL` says the same as EMBEDDED, for the type checker)
if EMBEDDED or not DATABASE_URL:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # Created 0600 before SQLite opens it (SQLite would create it with the umask: 0644).
            "NAME": private_file(VAR_DIR / "migrateiq.sqlite3"),
            # WAL lets the web process read while a background sync writes.
            "OPTIONS": {
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
else:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "migrateiq"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "migrateiq"}
    }

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# With no broker configured, Celery uses a filesystem transport under var/ (embedded default).
CELERY_EMBEDDED_BROKER = not CELERY_BROKER_URL
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 2)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenancy.authentication.TenantJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRendererOfAnyText"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.ExplainedFilterBackend",
        "core.filters.BoundedSearchFilter",
        "core.filters.StrictOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.TenantUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("THROTTLE_USER", "1200/min"),
        "login": env_str("THROTTLE_LOGIN", "10/min"),
        "test_connection": env_str("THROTTLE_TEST_CONNECTION", "30/min"),
        "sync_data": env_str("THROTTLE_SYNC_DATA", "30/min"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Sign-in lockout, on top of the per-address login throttle (tenancy.services.Lockout): after this
# many failed sign-ins for one email (known or not) from one client address within the window, that
# email is refused from that address for the window (a stranger locks only their own address out).
MIGRATEIQ_LOGIN_LOCKOUT_FAILURES = env_int("MIGRATEIQ_LOGIN_LOCKOUT_FAILURES", 10)
# ... and after this many from all addresses together, from every address: guessing spread over many
# addresses gets at most this many guesses an account per window (at least 10 addresses are needed to
# reach it, 10 failures each). 0 turns either off.
MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES = env_int("MIGRATEIQ_LOGIN_ACCOUNT_LOCKOUT_FAILURES", 100)
MIGRATEIQ_LOGIN_LOCKOUT_SECONDS = env_int("MIGRATEIQ_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# How long an invitation to a tenant can be accepted (POST /api/tenancy/invitations/).
MIGRATEIQ_INVITATION_TTL_SECONDS = env_int("MIGRATEIQ_INVITATION_TTL_SECONDS", 7 * 24 * 3600)
# A spent refresh token presented again this soon after it was spent is the loser of a race between
# two requests of one client (two tabs, a retry): refused without ending the session. Later, it is
# reuse, and the session it belongs to is ended (docs/security.md, O6).
MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS = env_int("MIGRATEIQ_REFRESH_REUSE_GRACE_SECONDS", 10)
# Tenant scoping of queries (tenancy.scoping): "raise" makes a query of a tenant-owned model that is
# neither scoped to a tenant nor marked .unscoped(reason) raise UnscopedTenantQuery. The test suites
# turn it on (tenancy.testing); "off" (the default) skips the check.
MIGRATEIQ_TENANT_SCOPE_CHECK = env_str("MIGRATEIQ_TENANT_SCOPE_CHECK", "off")
if MIGRATEIQ_TENANT_SCOPE_CHECK not in ("off", "raise"):
    raise ConfigurationError("MIGRATEIQ_TENANT_SCOPE_CHECK must be 'off' or 'raise'")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "LEEWAY": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MigrateIQ API",
    "DESCRIPTION": (
        "Multi-tenant data-integration platform. Authenticate with `POST /api/auth/token/` and send "
        "`Authorization: Bearer <access>`; every object is scoped to the tenant carried by the token."
    ),
    "VERSION": __version__,  # pyproject.toml, through migrateiq.version
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "SyncStatusEnum": "sync_engine.models.SyncStatus",
        "TriggeredByEnum": "sync_engine.models.TriggeredBy",
        "LoadTriggerEnum": "destinations.models.DestinationLoad.Trigger",
        "LoadStatusEnum": "destinations.models.LoadStatus",
        "BackgroundStateEnum": "core.background_health.STATES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.add_platform_error_responses",
    ],
}

# --- Security -------------------------------------------------------------------------------
HTTPS = env_bool("MIGRATEIQ_HTTPS", not (EMBEDDED or DEBUG))
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preload follows HSTS (check --deploy W021); SECURE_HSTS_PRELOAD=0 for a domain that must not be preloaded.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# core/csp.py: no inline script anywhere; the API docs pages get their own (inline styles) policy.
MIGRATEIQ_CONTENT_SECURITY_POLICY = env_str(
    "MIGRATEIQ_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_ALLOW_CREDENTIALS = False
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# The deepest JSON nesting read from a request body (core.parsers); upstream pages: 1024 (extract.py).
MIGRATEIQ_JSON_MAX_DEPTH = env_int("MIGRATEIQ_JSON_MAX_DEPTH", 200)

# --- Outbound HTTP (core.http / core.egress) ------------------------------------------------
MIGRATEIQ_EGRESS_ALLOWLIST = env_list("MIGRATEIQ_EGRESS_ALLOWLIST", [])
MIGRATEIQ_ALLOW_PRIVATE_NETWORKS = env_bool("MIGRATEIQ_ALLOW_PRIVATE_NETWORKS", False)
MIGRATEIQ_HTTP_CONNECT_TIMEOUT = env_float("MIGRATEIQ_HTTP_CONNECT_TIMEOUT", 5.0)
MIGRATEIQ_HTTP_TIMEOUT = env_float("MIGRATEIQ_HTTP_TIMEOUT", 30.0)
MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES = env_int("MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES", 10 * 1024 * 1024)
MIGRATEIQ_HTTP_MAX_ATTEMPTS = env_int("MIGRATEIQ_HTTP_MAX_ATTEMPTS", 5)
MIGRATEIQ_HTTP_BACKOFF_BASE = env_float("MIGRATEIQ_HTTP_BACKOFF_BASE", 0.5)
MIGRATEIQ_HTTP_RETRY_AFTER_CAP = env_float("MIGRATEIQ_HTTP_RETRY_AFTER_CAP", 60.0)
# Where connectors' request budgets (rate, concurrency, 429 pauses) live without Redis: a SQLite file
# shared by every process of this machine (the web server and each worker process); "" keeps each
# process's own budgets in memory. With Redis (REDIS_URL) budgets live in Redis (core/budget.py).
MIGRATEIQ_REQUEST_BUDGET_FILE = env_str(
    "MIGRATEIQ_REQUEST_BUDGET_FILE", str(VAR_DIR / "request-budgets.sqlite3")
)
MIGRATEIQ_HTTP_MAX_REDIRECTS = env_int("MIGRATEIQ_HTTP_MAX_REDIRECTS", 3)
# Web threads (core.interactive): the total time an upstream call made while a person waits
# (test_connection, preview) may take, retries and redirects included; one such call per user.
MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS = env_float("MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS", 10.0)
if not 0 < MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS <= 10:
    raise ConfigurationError("MIGRATEIQ_INTERACTIVE_DEADLINE_SECONDS must be above 0 and at most 10.")
# ... and at most this many such calls (and waits for a run, ?wait=, exports and field profiles:
# core.interactive.holds_read_slot) per tenant at once, whoever
# makes them: below the web threads of a server (`make run`: 4; gunicorn.conf.py: 3 processes of one
# thread), so one tenant, however many members it invites, never holds all of them. 0: no limit.
MIGRATEIQ_TENANT_INTERACTIVE_SLOTS = env_int("MIGRATEIQ_TENANT_INTERACTIVE_SLOTS", 2)
if MIGRATEIQ_TENANT_INTERACTIVE_SLOTS < 0:
    raise ConfigurationError("MIGRATEIQ_TENANT_INTERACTIVE_SLOTS must be 0 (no limit) or more.")

# A download (an export) whose client accepts no byte for this long is ended: gunicorn writes with
# a blocking socket and no timeout, so a client that stops reading held the thread for ever (nginx's
# send_timeout, 60 s, bounds it behind Compose's proxy; `make run` has none).
MIGRATEIQ_DOWNLOAD_STALL_SECONDS = env_float("MIGRATEIQ_DOWNLOAD_STALL_SECONDS", 60.0)
if not 0 < MIGRATEIQ_DOWNLOAD_STALL_SECONDS <= 3600:
    raise ConfigurationError("MIGRATEIQ_DOWNLOAD_STALL_SECONDS must be above 0 and at most 3600.")

# The most stored JSON one page of a list may hold (bytes; the records list, a run's quarantine): a
# page of 500 records at the 1 MiB record cap would be built whole in the web process' memory. A
# larger page is a 400 naming the page size that fits; the export streams records of any size.
MIGRATEIQ_API_MAX_PAGE_BYTES = env_int("MIGRATEIQ_API_MAX_PAGE_BYTES", 16 * 1024 * 1024)
if MIGRATEIQ_API_MAX_PAGE_BYTES < 1024 * 1024:
    raise ConfigurationError("MIGRATEIQ_API_MAX_PAGE_BYTES must be at least 1048576 (1 MiB).")

# --- Sync engine ----------------------------------------------------------------------------
MIGRATEIQ_SYNC_MAX_PAGES = env_int("MIGRATEIQ_SYNC_MAX_PAGES", 10000)
# The most one stored record may hold, as JSON (bytes): a larger one is quarantined with a stand-in
# of it. Every member reads records by pages of up to 500 (records, the change feed, the quarantine)
# and each page is built in the web process' memory: records of 5 MB (an upstream page holds up to
# MIGRATEIQ_HTTP_MAX_RESPONSE_BYTES) made one viewer's page of 50 a 250 MB answer and 3 GB of memory.
MIGRATEIQ_SYNC_MAX_RECORD_BYTES = env_int("MIGRATEIQ_SYNC_MAX_RECORD_BYTES", 1024 * 1024)
if MIGRATEIQ_SYNC_MAX_RECORD_BYTES < 1024:
    raise ConfigurationError("MIGRATEIQ_SYNC_MAX_RECORD_BYTES must be at least 1024.")
# Where a run builds its pages (sync_engine/builds.py): "off" (the run's thread), "on" (a forked
# child process on another core, when the machine has more than one), "auto" (on for a connector's
# first load in a Celery worker).
# A re-sync reads the next page's stored checksums while it builds the current one (builds.py).
MIGRATEIQ_SYNC_LOOKUP_AHEAD = env_bool("MIGRATEIQ_SYNC_LOOKUP_AHEAD", True)
MIGRATEIQ_SYNC_BUILD_PROCESS = env_str("MIGRATEIQ_SYNC_BUILD_PROCESS", "auto").strip().lower()
if MIGRATEIQ_SYNC_BUILD_PROCESS not in ("off", "on", "auto"):
    raise ConfigurationError("MIGRATEIQ_SYNC_BUILD_PROCESS must be off, on or auto.")
# A run's time budget: past it the run stops at a page boundary (FAILED, resumable from its
# checkpoint). A connector's max_sync_seconds can only lower it. The sync task's Celery time
# limits back it up a grace period later.
MIGRATEIQ_SYNC_MAX_SECONDS = env_int("MIGRATEIQ_SYNC_MAX_SECONDS", 3600)
MIGRATEIQ_SYNC_TIME_LIMIT_GRACE_SECONDS = env_int("MIGRATEIQ_SYNC_TIME_LIMIT_GRACE_SECONDS", 120)
# Fair queuing: at most this many runs of one tenant at a time on the workers; a run over the cap
# waits (queued again every MIGRATEIQ_SYNC_DEFER_SECONDS), it is never dropped. 0 turns it off.
# The default leaves one worker process free of any single tenant.
MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS = env_int(
    "MIGRATEIQ_TENANT_MAX_CONCURRENT_SYNCS", max(1, CELERY_WORKER_CONCURRENCY - 1)
)
MIGRATEIQ_SYNC_DEFER_SECONDS = env_float("MIGRATEIQ_SYNC_DEFER_SECONDS", 2.0)
# Objects one tenant may have (0: no limit): an editor creating connectors at the API's rate, each
# scheduled, or an admin adding webhook endpoints that each receive every event, grows the queue and
# the database without bound. A create past the limit is a 409 naming it (tenancy/quotas.py).
MIGRATEIQ_TENANT_MAX_CONNECTORS = env_int("MIGRATEIQ_TENANT_MAX_CONNECTORS", 1000)
MIGRATEIQ_TENANT_MAX_DESTINATIONS = env_int("MIGRATEIQ_TENANT_MAX_DESTINATIONS", 100)
MIGRATEIQ_TENANT_MAX_WEBHOOK_ENDPOINTS = env_int("MIGRATEIQ_TENANT_MAX_WEBHOOK_ENDPOINTS", 50)
# What one tenant may create of a kind whose endpoint names no limit of its own (a module's: the
# base viewset's default ``tenant_quota``), so that a new endpoint cannot forget one.
MIGRATEIQ_TENANT_MAX_OBJECTS = env_int("MIGRATEIQ_TENANT_MAX_OBJECTS", 10000)
# Each pending invitation is a stored token an admin could mint at the API's rate; members and
# pending invitations together are bounded too (each may become a member). Operator commands
# (createuser, seed_demo) are not limited.
MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS = env_int("MIGRATEIQ_TENANT_MAX_PENDING_INVITATIONS", 100)
MIGRATEIQ_TENANT_MAX_MEMBERS = env_int("MIGRATEIQ_TENANT_MAX_MEMBERS", 1000)
MIGRATEIQ_SYNC_ERROR_THRESHOLD = env_float("MIGRATEIQ_SYNC_ERROR_THRESHOLD", 0.10)
MIGRATEIQ_SYNC_WAIT_SECONDS = env_float("MIGRATEIQ_SYNC_WAIT_SECONDS", 5.0)
# The longest a request waits for a run (sync_data / resume ?wait=): a larger wait is cut to this,
# so polling clients cannot hold web threads (the run goes on in the background either way).
MIGRATEIQ_SYNC_MAX_WAIT_SECONDS = env_float("MIGRATEIQ_SYNC_MAX_WAIT_SECONDS", 5.0)
MIGRATEIQ_SYNC_HEARTBEAT_SECONDS = env_int("MIGRATEIQ_SYNC_HEARTBEAT_SECONDS", 30)
MIGRATEIQ_SYNC_STALE_AFTER_SECONDS = env_int("MIGRATEIQ_SYNC_STALE_AFTER_SECONDS", 180)
MIGRATEIQ_SYNC_MAX_ATTEMPTS = env_int("MIGRATEIQ_SYNC_MAX_ATTEMPTS", 3)

# Destinations (destinations/): changes loaded per destination transaction, connect timeout (s).
MIGRATEIQ_DESTINATION_BATCH_SIZE = env_int("MIGRATEIQ_DESTINATION_BATCH_SIZE", 5000)
MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT = env_float("MIGRATEIQ_DESTINATION_CONNECT_TIMEOUT", 10.0)
# The longest a load waits for its destination server to answer one step (a statement, a COPY's
# write): a server that signs in and then answers nothing would hold a worker process for ever. Below
# MIGRATEIQ_SYNC_STALE_AFTER_SECONDS, so that a load waiting for its server still counts as running
# (in its tenant's cap) and is not queued a second time by the reaper meanwhile.
MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT = env_float("MIGRATEIQ_DESTINATION_ANSWER_TIMEOUT", 120.0)
# The certificate authorities a destination with sslmode verify-ca / verify-full is checked against:
# "system" (the operating system's trust store, as a browser) or the path of a PEM bundle (a cloud
# provider's database CA). Never the host's ~/.postgresql/root.crt, which is the operator's own.
MIGRATEIQ_DESTINATION_SSL_ROOT_CERT = env_str("MIGRATEIQ_DESTINATION_SSL_ROOT_CERT", "system")
# How a queued sync runs: "celery" (a worker picks it up) or "inline" (synchronously when the
# transaction commits; for unit tests and one-off scripts). See sync_engine/queue.py.
MIGRATEIQ_SYNC_RUNNER = env_str("MIGRATEIQ_SYNC_RUNNER", "celery")
if MIGRATEIQ_SYNC_RUNNER not in ("celery", "inline"):
    raise ConfigurationError("MIGRATEIQ_SYNC_RUNNER must be 'celery' or 'inline'")
# A PENDING sync whose queue message was lost (never started after this long) is queued again.
MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS = env_int("MIGRATEIQ_SYNC_REQUEUE_PENDING_AFTER_SECONDS", 600)
# Background work health (core.background_health): the beat schedules a tick every this many
# seconds, which a worker records; no tick for MIGRATEIQ_BACKGROUND_STALE_SECONDS means the beat, the
# workers or the broker between them stopped, and GET /api/status/, the web UI and /metrics say so.
MIGRATEIQ_BACKGROUND_TICK_SECONDS = env_float("MIGRATEIQ_BACKGROUND_TICK_SECONDS", 30.0)
MIGRATEIQ_BACKGROUND_STALE_SECONDS = env_float("MIGRATEIQ_BACKGROUND_STALE_SECONDS", 180.0)
if not 0 < MIGRATEIQ_BACKGROUND_TICK_SECONDS < MIGRATEIQ_BACKGROUND_STALE_SECONDS:
    raise ConfigurationError(
        "MIGRATEIQ_BACKGROUND_TICK_SECONDS must be above 0 and below MIGRATEIQ_BACKGROUND_STALE_SECONDS"
    )
# The Celery queue and the Redis key prefix of the broker (distinct ones isolate deployments or
# test runs that share one Redis).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BROKER_KEY_PREFIX = env_str("CELERY_BROKER_KEY_PREFIX", "")
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
# How long a worker waits for the result of a pool process that died before it reports the task
# lost (and, with late acknowledgement, requeues it).
CELERY_WORKER_LOST_WAIT = env_float("CELERY_WORKER_LOST_WAIT", 10.0)
# Graceful shutdown: on SIGTERM (remapped to Celery's cold shutdown by REMAP_SIGTERM=SIGQUIT, which
# docker/entrypoint.sh and scripts/worker.sh set) a worker stops taking tasks and lets a running sync
# go on for this long, then stops it (the pages it committed stay, its message goes back to the
# queue and the run resumes from its checkpoint). Keep it below the orchestrator's grace period (Kubernetes:
# terminationGracePeriodSeconds 30 in deploy/k8s; Compose: stop_grace_period 30s).
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env_float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", 15.0)

# --- Observability --------------------------------------------------------------------------
MIGRATEIQ_METRICS_TOKEN = env_str("MIGRATEIQ_METRICS_TOKEN")
LOG_FORMAT = env_str("LOG_FORMAT", "text" if (EMBEDDED or DEBUG) else "json")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "core.logging.RequestContextFilter"}},
    "formatters": {
        "text": {"()": "core.logging.TextFormatter"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # one line per upstream page would drown the log; sync runs keep their own log lines
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- I18N / static --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves from the finders until collectstatic has run; it only needs the folder to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The web UI's build (scripts/build_ui.sh), served under /static/ui/; core/views_ui.py serves its page.
UI_BUILD_DIR = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [("ui", UI_BUILD_DIR)] if UI_BUILD_DIR.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The demo upstream started by `make run` (python manage.py demo_api).
MIGRATEIQ_DEMO_API_URL = env_str("MIGRATEIQ_DEMO_API_URL", "http://127.0.0.1:8001/users")
