#!/usr/bin/env bash
# The whole test suite against the machine's PostgreSQL and Redis (override with DATABASE_URL and
# REDIS_URL). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/linkage}
# Redis database 15: the tests empty it (throttle counters, channel groups) as they go.
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-linkage-test-secret-key-not-for-production-0123456789abcdef}
# Tests talk plain HTTP to the test client and live servers: no HTTPS redirect or secure-only cookies.
export DJANGO_HTTPS=${DJANGO_HTTPS:-false}
.venv/bin/python -m ruff check .
.venv/bin/lint-imports --no-cache  # DESIGN's layers (pyproject.toml, [tool.importlinter])
.venv/bin/python manage.py collectstatic --noinput -v0
exec .venv/bin/python -m pytest "$@"
