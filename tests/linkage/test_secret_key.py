"""Without DJANGO_SECRET_KEY the embedded mode makes its own random key once and keeps it in var/
(mode 0600), saying so; the services mode refuses to start. No install runs on a key from the source."""

import stat
import subprocess
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from linkage.secret_key import secret_key_from_file
from tests.linkage.test_project import PRODUCTION, ROOT, _manage

PRINT_KEY = ["shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)"]


def _embedded(key_file: Path) -> subprocess.CompletedProcess:
    return _manage(
        *PRINT_KEY,
        env_changes={"LINKAGE_SECRET_KEY_FILE": str(key_file), "DJANGO_DEBUG": "false", "LINKAGE_MODE": "embedded"},
        drop=("DJANGO_SECRET_KEY", "REDIS_URL", "DATABASE_URL"),
    )


def test_embedded_mode_generates_a_private_key_on_first_run_and_reuses_it(tmp_path):
    key_file = tmp_path / "var" / "secret_key"
    first = _embedded(key_file)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) >= 50
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert f"generated a random secret key and stored it in {key_file}" in first.stderr

    second = _embedded(key_file)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[-1] == key  # sessions survive a restart
    assert "generated" not in second.stderr  # said once, on the run that made it


def test_two_installs_get_different_keys_and_none_is_in_the_source(tmp_path):
    one, two = _embedded(tmp_path / "a" / "secret_key"), _embedded(tmp_path / "b" / "secret_key")
    key_one, key_two = one.stdout.strip().splitlines()[-1], two.stdout.strip().splitlines()[-1]
    assert key_one != key_two
    source = (ROOT / "linkage" / "settings.py").read_text() + (ROOT / "linkage" / "secret_key.py").read_text()
    assert key_one not in source and "django-insecure" not in source


def test_processes_starting_together_agree_on_one_key(tmp_path):
    key_file = tmp_path / "secret_key"
    results: list[str] = []

    def start():
        results.append(secret_key_from_file(key_file)[0])

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == key_file.read_text().strip()
    assert list(tmp_path.iterdir()) == [key_file]  # no leftovers from the losers


def test_an_unusable_key_file_stops_the_start_with_a_clear_message(tmp_path):
    short = tmp_path / "secret_key"
    short.write_text("too-short\n")
    with pytest.raises(ImproperlyConfigured, match="fewer than 50 characters"):
        secret_key_from_file(short)

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")  # var/ cannot be made where a file stands (this holds for root too)
    result = _embedded(blocked / "secret_key")
    assert result.returncode != 0
    assert str(blocked / "secret_key") in result.stderr and "set DJANGO_SECRET_KEY" in result.stderr


def test_services_mode_still_refuses_to_start_without_a_key(tmp_path):
    result = _manage(
        "check",
        env_changes={**PRODUCTION, "DJANGO_SECRET_KEY": "", "LINKAGE_SECRET_KEY_FILE": str(tmp_path / "k")},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "k").exists()


@pytest.mark.parametrize("key", [" ", "   \t ", "\n"])
def test_a_blank_key_is_no_key_in_the_services_mode(tmp_path, key):
    result = _manage(
        "check",
        env_changes={**PRODUCTION, "DJANGO_SECRET_KEY": key, "LINKAGE_SECRET_KEY_FILE": str(tmp_path / "k")},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("mode", ["services", "embedded"])
def test_a_short_key_set_by_hand_is_refused_outside_debug(tmp_path, mode):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": "x" * 31, "LINKAGE_MODE": mode}
    result = _manage("check", env_changes=env, drop=() if mode == "services" else ("REDIS_URL",))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is shorter than 32 characters" in result.stderr
    assert _manage("check", env_changes={**env, "DJANGO_SECRET_KEY": "x" * 32}).returncode == 0
