"""A burst of sign-ins sent all at once counts exactly: the lockout's check and its count are one step.

django-axes checks "is this username/address locked?" and records a failure in two separate steps; run
concurrently, forty attempts all pass the check before the first failure is recorded, and the right
password among them signs in. Linkage serialises every password check per username and per address
(linkage/auth.py, a PostgreSQL transaction-scoped advisory lock), so these tests fire forty attempts at
once from real threads against real PostgreSQL and require that no more than ten wrong passwords are
ever checked, and that the right one is refused once ten have failed.
"""

import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

PASSWORD = "linkage-demo"
LIMIT = 10
ATTEMPTS = 40


@pytest.fixture(autouse=True)
def _token_rate_out_of_the_way(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "1000/min"},
    }


@pytest.fixture
def password_checks(monkeypatch):
    """Every password hash checked, in order: True for the right password. Each check takes 30 ms, as a
    real hasher's work does (the tests' MD5 hasher would make the race window too narrow to see)."""
    checked: list[bool] = []
    lock = threading.Lock()
    original = AbstractBaseUser.check_password

    def check_password(self, raw_password):
        threading.Event().wait(0.03)
        result = original(self, raw_password)
        with lock:
            checked.append(result)
        return result

    monkeypatch.setattr(AbstractBaseUser, "check_password", check_password)
    return checked


def attempt(where: str, username: str, password: str, address: str) -> bool:
    """One sign-in at `where`; True if it signed in."""
    try:
        if where == "token":
            response = APIClient().post(
                "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
            )
            return response.status_code == 200 and "token" in response.json()
        client = Client()
        path = "/accounts/login/" if where == "page" else "/admin/login/"
        response = client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)
        return "_auth_user_id" in client.session
    finally:
        connections.close_all()


def burst(where: str, username: str, addresses) -> list[tuple[str, bool]]:
    """ATTEMPTS sign-ins released at the same instant from real threads; the right password is the last
    one started. Returns (password, signed in?) for each."""
    passwords = [f"guess-{n}" for n in range(ATTEMPTS - 1)] + [PASSWORD]
    results: list[tuple[str, bool] | None] = [None] * ATTEMPTS
    gate = threading.Barrier(ATTEMPTS)

    def run(n: int) -> None:
        gate.wait()
        results[n] = (passwords[n], attempt(where, username, passwords[n], addresses[n % len(addresses)]))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(result is not None for result in results)
    return results


def assert_count_exact(checked: list[bool], results, username: str) -> None:
    wrong_checked = checked.count(False)
    # Serialised, the count is exact: the eleventh wrong password is never even hashed (no in-flight
    # allowance is needed: a waiting attempt checks the lock only once the one before it is counted).
    assert wrong_checked <= LIMIT, f"{wrong_checked} wrong passwords were checked"
    signed_in = [password for password, ok in results if ok]
    if signed_in:  # allowed only if the right password was checked before the tenth failure
        assert signed_in == [PASSWORD]
        assert checked.index(True) < LIMIT, "signed in after the tenth failure"
    failures = sum(AccessAttempt.objects.filter(username=username).values_list("failures_since_start", flat=True))
    assert 1 <= failures <= LIMIT  # a locked-out attempt is not counted (nor hashed)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["page", "admin", "token"])
def test_a_burst_from_one_address_checks_at_most_ten_passwords(demo, password_checks, where):
    results = burst(where, "admin", ["10.1.0.1"])
    assert_count_exact(password_checks, results, "admin")
    # Once ten have failed, the right password is refused too.
    assert not attempt(where, "admin", PASSWORD, "10.9.9.9")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["page", "token"])
def test_a_burst_from_many_addresses_at_one_username_checks_at_most_ten(demo, password_checks, where):
    results = burst(where, "admin", [f"10.2.{n}.1" for n in range(ATTEMPTS)])
    assert_count_exact(password_checks, results, "admin")
    assert not attempt(where, "admin", PASSWORD, "10.9.9.8")


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_at_many_usernames_checks_at_most_ten(demo, password_checks):
    """Per address as well: forty usernames from one address, at once, hash at most ten wrong passwords."""
    passwords_and_names = [(f"guess-{n}", f"nobody-{n}") for n in range(ATTEMPTS)]
    gate = threading.Barrier(ATTEMPTS)

    def run(password: str, username: str) -> None:
        gate.wait()
        attempt("token", username, password, "10.3.0.1")

    threads = [threading.Thread(target=run, args=pair) for pair in passwords_and_names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Unknown usernames are not hashed by check_password (Django hashes a dummy instead), so count
    # what axes recorded for that address: exactly the limit.
    failures = sum(AccessAttempt.objects.filter(ip_address="10.3.0.1").values_list("failures_since_start", flat=True))
    assert failures <= LIMIT, failures


def test_a_password_check_outside_the_lock_is_refused(demo):
    """A new door that calls authenticate() without linkage.auth's lock cannot sign anyone in."""
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    from linkage.auth import authenticate_serialised

    request = RequestFactory().post("/elsewhere/", REMOTE_ADDR="10.4.0.1")
    assert authenticate(request, username="admin", password=PASSWORD) is None
    assert (
        authenticate_serialised(RequestFactory().post("/elsewhere/"), username="admin", password=PASSWORD) == demo.admin
    )
