"""What a newcomer does first, in a copy of the project as a clone has it (no var/, no compiled
translations): manage.py works at once, the README's services-mode steps speak Chinese, and the
demo's links point where it serves."""

import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "LINKAGE_MODE",
    "DJANGO_SECRET_KEY",
    "LINKAGE_BASE_URL",
    "LINKAGE_ADDR",
    "DJANGO_ALLOWED_HOSTS",
)


@pytest.fixture
def clone(tmp_path) -> Path:
    """The project's files as `git clone` gives them: what git tracks (or would), nothing it ignores."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        pytest.skip("not a git checkout: nothing says which files a clone has")
    listed = listing.stdout.decode()
    target = tmp_path / "linkage"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not (target / "var").exists()
    assert not list((target / "locale").glob("*/LC_MESSAGES/*.mo"))
    return target


def _env(**changes: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(changes)
    return env


def _run(command: list[str], *, cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_migrate_works_in_a_fresh_clone(clone):
    result = _run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=clone, env=_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert (clone / "var" / "linkage.sqlite3").is_file()


def test_an_sqlite_file_in_a_missing_folder_is_made(tmp_path):
    database = tmp_path / "not" / "yet" / "linkage.sqlite3"
    result = _run(
        [sys.executable, "manage.py", "migrate", "--noinput", "agencies"],
        cwd=ROOT,
        env=_env(DATABASE_URL=f"sqlite:///{database}"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert database.is_file()


# Renders a page and checks every catalog entry, in the services mode's settings.
SPEAKS_CHINESE = """
import polib
from django.conf import settings
from django.test import Client
from django.utils import translation

page = Client(HTTP_HOST="localhost").get("/accounts/login/").content.decode()
with translation.override(settings.LANGUAGE_CODE):
    catalog = polib.pofile("locale/zh_Hans/LC_MESSAGES/django.po")
    english = [e.msgid for e in catalog if not e.msgid_plural and e.msgstr and translation.gettext(e.msgid) != e.msgstr]
print("title:", page.split("<title>")[1].split("</title>")[0])
print("untranslated:", len(english), english[:3])
"""


def _services_steps() -> list[str]:
    """The commands of the README's services-mode block, comments and continuation lines joined."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("- **Services**") :]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_the_readme_services_steps_compile_the_translations(clone):
    steps = _services_steps()
    assert steps[0] == "bash scripts/install.sh"
    # The clone's .venv is this one's Python, with pip a no-op: the packages are installed already.
    bin_dir = clone / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "python"
    wrapper.write_text(f'#!/bin/sh\n[ "$1 $2" = "-m pip" ] && exit 0\nexec {shlex.quote(sys.executable)} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    services = _env(
        REDIS_URL="redis://127.0.0.1:6379/0",  # never connected to: nothing here needs Redis
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/linkage",
        DJANGO_SECRET_KEY="a-long-random-string-for-this-test-only-0123456789",
        DJANGO_HTTPS="false",
    )
    probe = [str(wrapper), "manage.py", "shell", "-c", SPEAKS_CHINESE]

    before = _run(probe, cwd=clone, env=services)
    assert before.returncode == 0, before.stderr
    # Without compiled catalogs, English: what the README's steps gave before they compiled them.
    assert "Linkage emergency response" in before.stdout and "untranslated: 0 " not in before.stdout, before.stdout

    install = _run(shlex.split(steps[0]), cwd=clone, env=services)
    assert install.returncode == 0, install.stdout + install.stderr

    after = _run(probe, cwd=clone, env=services)
    assert after.returncode == 0, after.stderr
    assert "Linkage 应急联动" in after.stdout, after.stdout
    assert "untranslated: 0 []" in after.stdout, after.stdout


def test_the_demo_links_follow_the_address_it_serves(tmp_path):
    """The links in mail and SMS point where the embedded mode serves, and the site answers there."""
    probe = [
        sys.executable,
        "manage.py",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.LINKAGE_BASE_URL, ' '.join(settings.ALLOWED_HOSTS))",
    ]
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    def served(**env: str) -> tuple[str, list[str]]:
        result = _run(probe, cwd=ROOT, env=_env(DATABASE_URL=database, **env))
        assert result.returncode == 0, result.stderr
        url, *hosts = result.stdout.strip().splitlines()[-1].split()
        return url, hosts

    assert served()[0] == "http://127.0.0.1:8000"
    assert served(LINKAGE_ADDR="127.0.0.1:8765")[0] == "http://127.0.0.1:8765"
    assert served(LINKAGE_ADDR="9001")[0] == "http://127.0.0.1:9001"
    # Every interface: the links name the machine, and requests to that name are allowed.
    url, hosts = served(LINKAGE_ADDR="0.0.0.0:8080")
    assert url == f"http://{socket.gethostname()}:8080" and socket.gethostname() in hosts
    url, hosts = served(LINKAGE_ADDR="0.0.0.0:8080", LINKAGE_BASE_URL="https://linkage.example.org/")
    assert url == "https://linkage.example.org" and "linkage.example.org" in hosts
    assert served(LINKAGE_BASE_URL="https://linkage.example.org", DJANGO_ALLOWED_HOSTS="a.example")[1] == ["a.example"]
    # The demo serves the very variable the settings read.
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    assert "export LINKAGE_ADDR=${LINKAGE_ADDR:-127.0.0.1:8000}" in demo
    assert demo.rstrip().endswith('runserver "$LINKAGE_ADDR"')
