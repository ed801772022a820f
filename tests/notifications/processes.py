"""Real Celery worker and beat processes (and a Redis of the test's own), on the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class OwnRedis:
    """A redis-server on its own port, which the test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class CeleryProcesses:
    def __init__(self, *, redis_url: str, logs: Path, **extra_env: str) -> None:
        database = connection.settings_dict
        self.logs = logs
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "REDIS_URL": redis_url,
            "LINKAGE_MODE": "services",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_HTTPS": "false",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "LINKAGE_SWEEP_SECONDS": "1",
            "LINKAGE_OUTBOX_STALE_SECONDS": "2",
            "LINKAGE_DELIVERY_RETRY_SECONDS": "1",
            "LINKAGE_LOG_LEVEL": "INFO",
            **extra_env,
        }
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.worker = None
        self.beat = None
        self.started = 0

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        self.started += 1
        log = open(self.logs / f"{name}-{self.started}.log", "w")  # noqa: SIM115 — the child writes it
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "linkage.celery:app", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        self.worker = self._spawn(
            "worker",
            "worker",
            "-Q",
            "escalation,notifications",
            "--pool=solo",  # one process: SIGKILL takes the task being run with it
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test{self.started}@%h",
            "-l",
            "INFO",
        )

    def start_beat(self) -> None:
        self.beat = self._spawn("beat", "beat", "-l", "INFO")

    def start(self) -> None:
        """Worker and beat, returning once the worker is ready and beat has sent its first sweep."""
        self.start_worker()
        self.start_beat()
        wait_for(lambda: "ready." in self._log("worker"), timeout=60, what="the worker")
        wait_for(lambda: "Sending due task" in self._log("beat"), timeout=60, what="beat")

    def _log(self, name: str) -> str:
        logs = sorted(self.logs.glob(f"{name}-*.log"), key=lambda path: path.stat().st_mtime)
        return logs[-1].read_text(errors="replace") if logs else ""

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        self.worker = None

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.beat = self.worker = None
