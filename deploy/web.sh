#!/bin/bash
# One web replica (docker-compose.yml's web1 and web2; on a bare machine, one per replica's ports):
# gunicorn serving HTTP (WSGI, GUNICORN_WORKERS sync workers, one persistent database connection each)
# on HTTP_PORT, and Daphne serving the WebSockets (ASGI, each request's connection closed at its end)
# on WS_PORT. When either ends the script ends, so the container (or systemd unit) restarts both.
set -euo pipefail
HTTP_PORT="${HTTP_PORT:-8000}"
WS_PORT="${WS_PORT:-8001}"
BIND="${BIND:-0.0.0.0}"
daphne -b "$BIND" -p "$WS_PORT" linkage.asgi:application &
gunicorn -b "$BIND:$HTTP_PORT" -w "${GUNICORN_WORKERS:-3}" --access-logfile - linkage.wsgi:application &
trap 'kill -TERM $(jobs -p) 2>/dev/null; wait' TERM INT
wait -n
status=$?
kill -TERM $(jobs -p) 2>/dev/null || true
wait
exit "$status"
