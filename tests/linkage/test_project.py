"""The project's wiring: production settings, the compose file, CI's refusal to skip, health."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_changes: dict, drop=()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p7$Zq9!vLr2#xWm8@Tn4^Ks6&Hd1*Fb3(Jc5)Gy0_Ue-Ra+Vo=Ql~Pi<Ow>Nt",
    "DJANGO_ALLOWED_HOSTS": "linkage.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/linkage",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_changes=PRODUCTION, drop=("DJANGO_HTTPS",))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_settings_fail_the_deploy_check():
    """The check above can fail: the same check on a debug configuration does."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_changes={**PRODUCTION, "DJANGO_DEBUG": "true", "DJANGO_HTTPS": "false"},
    )
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_services_mode_without_a_secret_key_refuses_to_start():
    result = _manage("check", env_changes={**PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_services_mode_without_redis_refuses_to_start():
    result = _manage("check", env_changes={"LINKAGE_MODE": "services"}, drop=("REDIS_URL",))
    assert result.returncode != 0
    assert "needs REDIS_URL" in result.stderr


def test_docker_compose_names_every_service_with_a_health_check():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "web1", "web2", "nginx", "worker", "beat"}
    assert all("healthcheck" in service for service in services.values())
    # Two web replicas, each gunicorn (HTTP) and Daphne (/ws/), behind nginx (tests/linkage/test_deploy.py).
    web = (ROOT / "deploy" / "web.sh").read_text()
    assert "linkage.asgi:application" in web and "linkage.wsgi:application" in web
    assert all(" ".join(services[name]["command"]).endswith("deploy/web.sh") for name in ("web1", "web2"))
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "linkage.celery:app"]
    assert "beat" in services["beat"]["command"]
    for name in ("web1", "web2", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"


def test_ci_fails_instead_of_skipping_when_its_services_are_down():
    env = {**os.environ, "CI": "true", "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/linkage/test_project.py::test_healthz"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Redis at 127.0.0.1:1 is unreachable" in result.stdout + result.stderr


def test_healthz(client, settings, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    if settings.REDIS_URL:
        assert body["redis"] == "ok"


def test_healthz_reports_a_dead_redis(client, settings, db):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


def test_asgi_and_celery_entry_points_load():
    from channels.routing import ProtocolTypeRouter

    from linkage.asgi import application
    from linkage.celery import app

    assert isinstance(application, ProtocolTypeRouter)
    assert app.main == "linkage"


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    result = _manage("makemigrations", "--check", "--dry-run", env_changes={})
    assert result.returncode == 0, result.stdout


def test_env_example_lists_every_variable_the_settings_read():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    read = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', (root / "linkage" / "settings.py").read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (root / ".env.example").read_text(), flags=re.MULTILINE))
    assert len(read) > 15
    assert read - listed == set()
