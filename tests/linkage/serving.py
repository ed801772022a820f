"""Real web servers for the serving tests: Daphne (ASGI) and gunicorn (WSGI) as child processes on
free ports, on the test database and the real Redis, plus a minimal WebSocket client and a sampler of
PostgreSQL's connections to the test database."""

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(**extra: str) -> dict[str, str]:
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "LINKAGE_MODE": "services",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_HTTPS": "false",
        "DJANGO_DEBUG": "false",
        # What .env.example sets: the ASGI server must close its connections all the same.
        "DATABASE_CONN_MAX_AGE": "60",
        "LINKAGE_THROTTLE_WRITES": "100000/min",
        "LINKAGE_MAP_TILE_URL": "",
        "PYTHONUNBUFFERED": "1",  # the logs are read while the servers run
        **extra,
    }
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE", "LINKAGE_SERVER"):
        env.pop(name, None)
    return env


class Server:
    """One server process. `kind` is "asgi" (Daphne) or "wsgi" (gunicorn with `workers` sync workers)."""

    def __init__(self, kind: str, *, logs: Path, workers: int = 3, **extra_env: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log = logs / f"{kind}-{self.port}.log"
        self.env = server_env(**extra_env)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        if self.kind == "asgi":
            command = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "linkage.asgi:application"]
        else:
            command = [
                "-m",
                "gunicorn",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "-",
                "linkage.wsgi:application",
            ]
        log = open(self.log, "w")  # noqa: SIM115 — the child writes it
        self.process = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until(listening=True)
        return self

    def kill(self) -> None:
        """SIGKILL to the whole process group: a server lost, not shut down."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            self.kill()

    def _wait_until(self, *, listening: bool, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    up = True
            except OSError:
                up = False
            if up == listening:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} server on port {self.port} did not {'start' if listening else 'stop'}")


class ConnectionSampler:
    """Counts, every `interval` seconds, the client connections PostgreSQL holds to the test database
    (this sampler's own and the test's excluded). `peak` is the highest count, `last` the latest."""

    def __init__(self, *, interval: float = 0.1) -> None:
        database = connection.settings_dict
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.test_pid = cursor.fetchone()[0]
        self.database = database["NAME"]
        self.conn = psycopg2.connect(
            host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"]
        )
        self.conn.autocommit = True
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self) -> int:
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
                " AND pid NOT IN (pg_backend_pid(), %s)",
                [self.database, self.test_pid],
            )
            return cursor.fetchone()[0]

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.count())
            self._stop.wait(self.interval)

    def __enter__(self) -> "ConnectionSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)

    def close(self) -> None:
        self.conn.close()


class WebSocket:
    """A minimal RFC 6455 client: the handshake, and reading the server's (unmasked) text frames."""

    def __init__(self, url: str, *, origin: str, timeout: float = 10) -> None:
        host, _, rest = url.removeprefix("ws://").partition("/")
        hostname, _, port = host.partition(":")
        self.sock = socket.create_connection((hostname, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{rest} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("socket closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive(self, timeout: float) -> dict:
        """The next text frame's JSON; raises TimeoutError, or ConnectionError on a close frame."""
        self.sock.settimeout(timeout)
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == 8:
                raise ConnectionError(f"closed by the server: {payload[:2].hex()}")
            if opcode == 1:
                return json.loads(payload)

    def receive_until(self, predicate, *, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching event")
            try:
                event = self.receive(left)
            except TimeoutError:
                raise TimeoutError("no matching event") from None
            if predicate(event):
                return event

    def close(self) -> None:
        self.sock.close()
