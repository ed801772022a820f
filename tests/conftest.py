import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agencies.models import Agency, MemberRole, Membership
from incidents.demo import seed_all
from incidents.services import incident_open

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_configure(config):
    """Under CI the suite runs against real PostgreSQL and Redis, or not at all: never a quiet skip."""
    if not IN_CI:
        return
    problems = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL must point at PostgreSQL under CI")
    elif not _reachable(database_url, 5432):
        problems.append(f"PostgreSQL at {urlparse(database_url).netloc} is unreachable")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        problems.append("REDIS_URL must be set under CI")
    elif not _reachable(redis_url, 6379):
        problems.append(f"Redis at {urlparse(redis_url).netloc} is unreachable")
    if problems:
        pytest.exit("CI needs its services: " + "; ".join(problems), returncode=3)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip on SQLite in a local run (under CI, pytest_configure has already
    insisted on PostgreSQL, so they always run there)."""
    if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache (Redis in the services mode): each test starts at zero."""
    cache.clear()


@dataclass
class Demo:
    """The Kunming demo world: agencies by code and people by username."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def agency(self, code: str) -> Agency:
        return self.agencies[code]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the demo world once; each test's transaction rolls back to it."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        seed_all(with_people=True)


@pytest.fixture
def demo(db) -> Demo:
    if not Agency.objects.filter(code="km-fire").exists():  # a transactional test flushed the database
        seed_all(with_people=True)
    return Demo(
        agencies={agency.code: agency for agency in Agency.objects.all()},
        users={user.username: user for user in get_user_model().objects.all()},
    )


@pytest.fixture
def api(demo):
    """api("fire_liaison") is an API client holding that demo user's token; api(user) the same for any
    user; api(None) is anonymous."""

    def client_for(user) -> APIClient:
        client = APIClient()
        if user is not None:
            user = demo.users.get(user, user)
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def fire_incident(demo):
    """A level IV building fire in Wuhua: fire and medical are on it; police, traffic, environment are not."""
    return incident_open(
        by=demo.dispatcher,
        kind="building_fire",
        severity=4,
        title="居民楼厨房起火",
        address="五华区青年路 88 号",
        latitude="25.043000",
        longitude="102.710000",
    )


@pytest.fixture
def fire_task(fire_incident):
    """The fire brigade's pending task on `fire_incident`."""
    return fire_incident.assignments.get(agency__code="km-fire")


@pytest.fixture
def hazmat_and_crash(demo):
    """A level III chemical leak (fire, police, medical, environment and traffic on it) and a level IV
    rear-end crash that fire is not on, in that order."""
    hazmat = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="化工厂泄漏")
    crash = incident_open(by=demo.dispatcher, kind="traffic_accident", severity=4, title="追尾事故")
    return hazmat, crash


@pytest.fixture
def open_many(demo):
    """open_many(count) opens `count` level IV building fires (fire and medical on each), titled 火警 0…;
    severities=(1, 2, 3, 4) cycles through the levels instead (more agencies on the serious ones)."""

    def opened(count: int, *, severities=(4,)) -> None:
        for number in range(count):
            incident_open(
                by=demo.dispatcher,
                kind="building_fire",
                severity=severities[number % len(severities)],
                title=f"火警 {number}",
                latitude="25.04",
                longitude="102.71",
            )

    return opened


@pytest.fixture
def no_chief(demo):
    """no_chief() leaves km-medical (or the agency code given) with no active duty chief."""

    def without_chief(code: str = "km-medical") -> None:
        Membership.objects.filter(agency=demo.agency(code), role=MemberRole.CHIEF).update(is_active=False)

    return without_chief
