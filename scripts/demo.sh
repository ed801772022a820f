#!/usr/bin/env bash
# Embedded mode: install, migrate SQLite, load the Kunming demo, serve at http://127.0.0.1:8000.
# No PostgreSQL or Redis needed. Log in as dispatcher / commander / fire_liaison … (password linkage-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
unset DATABASE_URL REDIS_URL
export LINKAGE_MODE=embedded
mkdir -p var/static
.venv/bin/python scripts/compile_messages.py
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "${LINKAGE_ADDR:-127.0.0.1:8000}"
