# syntax=docker/dockerfile:1
# MigrateIQ: one image for every process; the command picks web, worker, beat or migrate
# (docker/entrypoint.sh). Build: docker build -t migrateiq .

# --- 1. The web UI (React + Vite) into /src/frontend/dist ------------------------------------
FROM node:20-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

# --- 2. Python dependencies into a virtual environment (/opt/venv) -----------------------------
FROM python:3.11-slim-bookworm AS python-deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml ./
# The pinned dependencies of pyproject.toml only: MigrateIQ itself runs from /app, where the
# settings find frontend/dist and staticfiles beside the code. Every dependency ships a wheel, so
# no compiler is needed here either.
RUN python -m venv /opt/venv \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

# --- 3. The runtime: no compilers, no caches, no Node.js, a non-root user ---------------------
FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="MigrateIQ" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/migrateiq/migrateiq"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=migrateiq.settings \
    GUNICORN_BIND=0.0.0.0:8000 \
    CELERY_BEAT_SCHEDULE=/tmp/celerybeat-schedule
RUN groupadd --system --gid 10001 migrateiq \
    && useradd --system --uid 10001 --gid migrateiq --home-dir /app --no-create-home --shell /usr/sbin/nologin migrateiq
COPY --from=python-deps /opt/venv /opt/venv
WORKDIR /app
COPY manage.py gunicorn.conf.py pyproject.toml ./
COPY migrateiq/ migrateiq/
COPY core/ core/
COPY accounts/ accounts/
COPY tenancy/ tenancy/
COPY sync_engine/ sync_engine/
COPY demo_extension/ demo_extension/
COPY destinations/ destinations/
COPY audit/ audit/
COPY webhooks/ webhooks/
COPY templates/ templates/
COPY docker/ docker/
COPY --from=ui /src/frontend/dist/ frontend/dist/
# Static files at build time. Without DATABASE_URL the settings are in embedded mode and would keep
# generated secrets under var/: a throwaway directory keeps them out of the image. The code stays
# owned by root (the process cannot change it); bytecode is compiled now because the root
# filesystem is read-only at run time.
RUN MIGRATEIQ_VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput -v0 \
    && python -m compileall -q /app \
    && rm -rf /tmp/build-var \
    && chmod 0755 docker/entrypoint.sh \
    && mkdir -p /run/migrateiq/metrics \
    && chown -R 10001:10001 /run/migrateiq
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]
# The entrypoint execs the process, which is PID 1's only child: SIGTERM reaches gunicorn or
# Celery directly and they stop gracefully (see README, "Graceful shutdown").
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
