#!/usr/bin/env bash
# Embedded mode: install, migrate SQLite, load the Kunming demo, serve at http://127.0.0.1:8000
# (or LINKAGE_ADDR, e.g. LINKAGE_ADDR=0.0.0.0:8080; links in e-mails and SMS follow it).
# No PostgreSQL or Redis needed. Log in as dispatcher / commander / fire_liaison … (password linkage-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
unset DATABASE_URL REDIS_URL
export LINKAGE_MODE=embedded
# The settings read the same variable: the links they write point where this serves.
export LINKAGE_ADDR=${LINKAGE_ADDR:-127.0.0.1:8000}
mkdir -p var/static  # WhiteNoise warns at every start when its STATIC_ROOT is missing
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "$LINKAGE_ADDR"
