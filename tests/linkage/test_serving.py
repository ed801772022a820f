"""The served stack under load, as real processes on the test database and Redis (docs/operations.md,
"Processes"): HTTP from gunicorn's WSGI workers, each holding one persistent connection; Daphne (ASGI:
/ws/, and everything in the embedded mode) closing each request's connection, so PostgreSQL's
connections stay bounded and nothing answers 500 ("too many clients"). Two Daphne replicas share Redis:
a socket on one hears what is done through the other, and keeps hearing after the other dies."""

import threading
import time
from collections import Counter

import pytest
import requests
from rest_framework.authtoken.models import Token

from tests.factories import FIRE_BODY

from .serving import ConnectionSampler, Server, WebSocket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 32
BODY = FIRE_BODY


@pytest.fixture
def logs(tmp_path):
    return tmp_path


@pytest.fixture
def servers(logs):
    started: list[Server] = []

    def start(kind: str, **options) -> Server:
        server = Server(kind, logs=logs, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def hammer(url: str, token: str, *, seconds: float) -> Counter:
    """CLIENTS threads, each opening incidents and listing assignments in turn for `seconds`: the
    statuses answered (and "error" for a request that got no answer)."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        turn = number
        while time.monotonic() < deadline:
            try:
                if turn % 2:
                    answer = session.post(f"{url}/api/v1/incidents/", json=BODY, timeout=30)
                else:
                    answer = session.get(f"{url}/api/v1/assignments/", timeout=30)
                status = answer.status_code
            except requests.RequestException:
                status = "error"
            with lock:
                statuses[status] += 1
            turn += 1

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def settle(sampler: ConnectionSampler, *, at_most: int, timeout: float = 5) -> int:
    deadline = time.monotonic() + timeout
    while (count := sampler.count()) > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
    return count


def assert_served(statuses: Counter) -> None:
    served = {status: count for status, count in statuses.items() if status not in (200, 201)}
    assert not served, f"answers other than 200/201: {dict(statuses)}"
    assert statuses[201] >= CLIENTS and statuses[200] >= CLIENTS, dict(statuses)


def test_gunicorn_workers_hold_one_connection_each_under_32_clients(demo, servers):
    """Three sync workers, persistent connections (DATABASE_CONN_MAX_AGE unset: 60 s under WSGI): never
    more than three, however many clients, and still open for the next requests after the run."""
    token = token_for(demo.dispatcher)
    sampler = ConnectionSampler()
    try:
        wsgi = servers("wsgi", workers=3, DATABASE_CONN_MAX_AGE="")
        with sampler:
            statuses = hammer(wsgi.url, token, seconds=10)
        assert_served(statuses)
        assert sampler.peak <= 3, f"connections peaked at {sampler.peak} with 3 workers: {sampler.samples}"
        assert sampler.count() == 3  # kept for the next requests, not closed and reopened
    finally:
        sampler.close()


def test_daphne_closes_each_requests_connection_under_32_clients(demo, servers):
    """Daphne serving everything (the embedded mode's shape), with DATABASE_CONN_MAX_AGE=60 in its
    environment as .env.example has it: at most one connection per request in flight (32), none left
    once the clients stop. Before, each request's thread left its connection open: 62–64 at 8 clients,
    then "too many clients" and 500s."""
    token = token_for(demo.dispatcher)
    sampler = ConnectionSampler()
    try:
        asgi = servers("asgi")
        with sampler:
            statuses = hammer(asgi.url, token, seconds=8)
        assert_served(statuses)
        assert sampler.peak <= CLIENTS, f"connections peaked at {sampler.peak} for {CLIENTS} clients"
        assert settle(sampler, at_most=0) == 0, "Daphne kept connections open after the requests ended"
    finally:
        sampler.close()


def test_two_daphne_replicas_share_events_and_survive_one_dying(demo, servers):
    """A board socket on server B hears an incident opened through server A (and through gunicorn's
    two workers); after A is killed, incidents opened through B still reach the socket on B."""
    token = token_for(demo.dispatcher)
    a, b, wsgi = servers("asgi"), servers("asgi"), servers("wsgi", workers=2)
    headers = {"Authorization": f"Token {token}"}
    ticket = requests.post(f"{b.url}/api/v1/auth/ws-ticket/", headers=headers, timeout=10).json()["ticket"]
    socket_on_b = WebSocket(f"ws://127.0.0.1:{b.port}/ws/board/?ticket={ticket}", origin=b.url)
    try:
        assert socket_on_b.status == 101
        time.sleep(0.5)  # the consumer joins its group after accepting

        def opened_through(server: Server) -> dict:
            answer = requests.post(f"{server.url}/api/v1/incidents/", json=BODY, headers=headers, timeout=30)
            assert answer.status_code == 201, answer.text
            return answer.json()

        def hears(incident: dict) -> dict:
            marks = {str(incident["id"]), incident["reference"]}
            return socket_on_b.receive_until(lambda event: any(mark in str(event) for mark in marks), timeout=15)

        hears(opened_through(a))
        hears(opened_through(wsgi))  # HTTP from gunicorn's workers reaches the sockets just the same
        a.kill()
        for _ in range(3):
            hears(opened_through(b))
    finally:
        socket_on_b.close()
