import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from agencies.models import Agency


def _snapshot():
    """Every row of every Linkage and auth table, as values."""
    tables = {}
    for label in ("agencies", "incidents", "auth"):
        for model in apps.get_app_config(label).get_models():
            tables[model._meta.label] = sorted(map(repr, model.objects.order_by("pk").values()))
    return tables


def test_seed_demo_loads_kunming_and_running_it_again_changes_nothing(demo, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    assert {a.code: (a.name, a.hotline) for a in Agency.objects.all()} == {
        "km-fire": ("昆明市消防救援支队", "119"),
        "km-police": ("昆明市公安局", "110"),
        "km-medical": ("昆明市急救中心", "120"),
        "km-traffic": ("昆明市公安局交通管理支队", "122"),
        "km-environment": ("昆明市生态环境局", "12369"),
    }


@pytest.mark.parametrize("username", ["admin", "dispatcher", "commander", "fire_liaison", "environment_chief"])
def test_demo_users_log_in_with_the_demo_password(demo, client, username):
    client.post("/accounts/login/", {"username": username, "password": "linkage-demo"})
    assert client.session.get("_auth_user_id") == str(demo.users[username].pk)


def test_seed_demo_refuses_demo_users_outside_embedded_or_debug(demo, settings):
    from django.contrib.auth import get_user_model

    settings.DEBUG = False
    settings.EMBEDDED = False
    get_user_model().objects.filter(username__endswith="_liaison").delete()
    with pytest.raises(CommandError, match="Refusing"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username__endswith="_liaison").exists()
    call_command("seed_demo", "--no-users")  # agencies and plans alone are fine anywhere
