"""What the benchmarks share: a database of their own, the demo loaded, one Daphne in the services mode."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DB = "linkage_bench"
PORT = 8765

ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "DJANGO_SECRET_KEY": "bench-secret-key-bench-secret-key-bench-secret-key-0123456789",
    "DJANGO_DEBUG": "false",
    "DJANGO_HTTPS": "false",
    "DATABASE_CONN_MAX_AGE": "60",
    "LINKAGE_THROTTLE_WRITES": "100000000/min",
    "LINKAGE_LOG_LEVEL": "WARNING",
}

# Loads the demo and prints an API token for each user named on the command line.
SETUP = """
import json, sys
from rest_framework.authtoken.models import Token
from django.contrib.auth import get_user_model
from incidents.demo import seed_all
seed_all(with_people=True)
users = get_user_model().objects
print(json.dumps({name: Token.objects.get_or_create(user=users.get(username=name))[0].key for name in %r}))
"""


def recreate_database() -> None:
    connection = psycopg2.connect("postgres://postgres@127.0.0.1:5432/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB}")
    connection.close()


def manage(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, input=stdin, capture_output=True, text=True, check=True
    )
    return result.stdout


def prepare(*usernames: str) -> dict[str, str]:
    """A fresh bench database with the demo loaded; API tokens of these users."""
    import json

    recreate_database()
    # A fresh Redis database too: group members left by a killed server of an earlier run would make
    # every group send walk thousands of dead channels.
    import redis

    redis.Redis.from_url(ENV["REDIS_URL"]).flushdb()
    manage("migrate", "--noinput", "-v0")
    return json.loads(manage("shell", "-c", SETUP % (usernames,)).strip().splitlines()[-1])


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not come up at {url}")


def start_daphne() -> subprocess.Popen:
    server = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(PORT), "linkage.asgi:application"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "w"),  # noqa: SIM115 — the child keeps it
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{PORT}/livez/")
    return server


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
