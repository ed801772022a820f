"""deploy/nginx.conf, the reverse proxy of docker-compose.yml and of a bare machine (docs/operations.md):
Debian's nginx accepts it, and, in front of a gunicorn and a Daphne on the test database, it sends
HTTP to the one, /ws/ (with the Upgrade handshake) to the other, and serves /static/ itself."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from rest_framework.authtoken.models import Token

from tests.factories import FIRE_BODY

from .serving import Server, WebSocket, free_port

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)

needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")


def local_config(directory: Path, *, http: int, ws: int, listen: int, static: Path) -> Path:
    """deploy/nginx.conf with its "address" lines pointed at this machine: both replicas' upstreams at
    the given ports, the static root at `static`, listening on `listen`."""
    text = CONFIG.read_text()
    assert len(re.findall(r"server web[12]:8000 ", text)) == 2 and len(re.findall(r"server web[12]:8001 ", text)) == 2
    text = re.sub(r"server web[12]:8000 ", f"server 127.0.0.1:{http} ", text)
    text = re.sub(r"server web[12]:8001 ", f"server 127.0.0.1:{ws} ", text)
    text = text.replace("alias /srv/linkage/static/;", f"alias {static}/;")
    text = text.replace("listen 8000;", f"listen 127.0.0.1:{listen};")
    text = text.replace("pid /tmp/linkage-nginx.pid;", f"pid {directory}/nginx.pid;")
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


@pytest.fixture
def place():
    directory = Path(tempfile.mkdtemp(prefix="linkage-nginx-"))
    directory.chmod(0o755)  # nginx's workers (nobody, when the test runs as root) read the static files
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@needs_nginx
def test_debian_nginx_accepts_the_config(place):
    config = local_config(place, http=18000, ws=18001, listen=free_port(), static=place)
    checked = subprocess.run([NGINX, "-t", "-p", f"{place}/", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@needs_nginx
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nginx_routes_http_to_gunicorn_sockets_to_daphne_and_serves_static(demo, place, tmp_path):
    (place / "static").mkdir()
    (place / "static" / "probe.css").write_text("body{}")
    (place / "static").chmod(0o755)
    (place / "static" / "probe.css").chmod(0o644)
    wsgi = Server("wsgi", logs=tmp_path, workers=1).start()
    asgi = Server("asgi", logs=tmp_path).start()
    port = free_port()
    config = local_config(place, http=wsgi.port, ws=asgi.port, listen=port, static=place / "static")
    nginx = subprocess.Popen(
        [NGINX, "-p", f"{place}/", "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    socket = None
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                health = requests.get(f"{url}/healthz/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and nginx.poll() is None, nginx.stderr.read().decode()
                time.sleep(0.1)
        assert health.status_code == 200 and health.json()["database"] == "ok"
        assert requests.get(f"{url}/static/probe.css", timeout=5).text == "body{}"

        token = Token.objects.get_or_create(user=demo.dispatcher)[0].key
        headers = {"Authorization": f"Token {token}"}
        ticket = requests.post(f"{url}/api/v1/auth/ws-ticket/", headers=headers, timeout=10).json()["ticket"]
        socket = WebSocket(f"ws://127.0.0.1:{port}/ws/board/?ticket={ticket}", origin=url)
        assert socket.status == 101
        time.sleep(0.5)
        opened = requests.post(f"{url}/api/v1/incidents/", json=FIRE_BODY, headers=headers, timeout=30)
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        socket.receive_until(lambda event: reference in str(event), timeout=15)
        # The HTTP went to gunicorn (its access log names it); the socket can only have been Daphne's.
        deadline = time.monotonic() + 5
        while "POST /api/v1/incidents/" not in (served := wsgi.log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "POST /api/v1/incidents/" in served and "/ws/" not in served
    finally:
        if socket is not None:
            socket.close()
        nginx.terminate()
        nginx.wait(timeout=10)
        wsgi.stop()
        asgi.stop()
