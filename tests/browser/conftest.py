"""Real headless Chromium (Debian's `chromium`) driven by Playwright, against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("LINKAGE_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser(django_db_setup):
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("no Chromium here: apt-get install chromium, or set LINKAGE_CHROMIUM")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread between its calls; the ORM
    # calls the tests make in between are still plain synchronous code. Only for this module: the
    # deploy check elsewhere rightly refuses the variable.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def screenshots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _no_map_tiles(settings):
    # The map's tiles would come from the internet: the test runs without them, as a closed network would.
    settings.LINKAGE_MAP_TILES = {**settings.LINKAGE_MAP_TILES, "url": ""}


class AsgiServer:
    """Daphne serving linkage.asgi:application in its own process, on the test database and the real
    Redis channel layer: HTTP and WebSockets as in production."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = None

    def start(self) -> None:
        import subprocess
        import sys

        from django.db import connection

        database = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "DJANGO_DEBUG": "true",  # static files from the apps, as the embedded mode serves them
            "LINKAGE_MAP_TILE_URL": "",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "linkage.asgi:application"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until(listening=True)

    def stop(self) -> None:
        if self.process is not None:
            import subprocess

            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:  # it waits for open sockets; a lost server is the point
                self.process.kill()
                self.process.wait(timeout=5)
            self.process = None
            self._wait_until(listening=False)

    def _wait_until(self, *, listening: bool, timeout: float = 20) -> None:
        import socket
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    up = True
            except OSError:
                up = False
            if up == listening:
                return
            time.sleep(0.1)
        raise RuntimeError(f"daphne on port {self.port} did not {'start' if listening else 'stop'}")


@pytest.fixture
def asgi_server(transactional_db):
    import socket

    if "Redis" not in django_settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("the live browser test needs Redis (set REDIS_URL; CI does)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = AsgiServer(port)
    server.start()
    yield server
    server.stop()


def session_for(context, server, user) -> None:
    """Sign a browser context in as `user` (a session made here, in the shared database)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": server.url}])
