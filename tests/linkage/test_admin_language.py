"""The admin speaks the site's language: headers, model names, column headers, filters and field
labels of Linkage's models are translated; celery-beat's schedule pages are for superusers only."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import translation
from django.utils.text import capfirst

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
OURS = {"agencies", "incidents", "notifications"}
# Written the same in Chinese.
SAME_IN_BOTH = {"ID", "URL"}


def _in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


def _admin_models():
    """Every model of ours the admin shows: registered ones and their inlines."""
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OURS:
            yield model
            for inline in model_admin.inlines:
                yield inline.model


def test_every_label_of_our_admin_models_has_a_chinese_translation():
    untranslated = []
    for model in set(_admin_models()):
        meta = model._meta
        labels = [("model", meta.verbose_name), ("models", meta.verbose_name_plural)]
        labels += [(field.name, field.verbose_name) for field in meta.concrete_fields]
        for name, label in labels:
            english = _in("en", label)
            if english not in SAME_IN_BOTH and _in("zh-hans", label) == english:
                untranslated.append(f"{meta.label}.{name}: {english}")
    assert untranslated == []


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_chinese_admin_index_has_no_english_headers_or_model_names(client, demo):
    client.force_login(demo.admin)
    text = visible_text(client.get("/admin/", **ZH).content.decode())
    assert "Linkage 应急联动" in text and "Linkage 应急联动管理" in text
    assert "Site administration" not in text
    for model in _admin_models():
        plural = model._meta.verbose_name_plural
        if model in admin.site._registry:
            assert capfirst(_in("zh-hans", plural)) in text
            assert capfirst(_in("en", plural)) not in text, _in("en", plural)


def test_the_chinese_agency_changelist_and_form_have_no_english_labels(client, demo):
    client.force_login(demo.admin)
    text = visible_text(client.get("/admin/agencies/agency/", **ZH).content.decode())
    for english in ("Code", "Name", "English name", "Kind", "Hotline", "Default for its kind", "Active", "By kind"):
        assert not re.search(rf"\b{english}\b", text), english
    for chinese in ("代码", "类型", "热线"):
        assert chinese in text, chinese
    agency = demo.agency("km-fire")
    form = visible_text(client.get(f"/admin/agencies/agency/{agency.pk}/change/", **ZH).content.decode())
    for english in ("Jurisdiction south", "Jurisdiction north", "Created at", "Group", "User"):
        assert english not in form, english
    assert "辖区南界（纬度）" in form and "辖区东界（经度）" in form


@pytest.fixture
def roster_admin(demo):
    """Staff who keeps the rosters: every permission on agencies, and even celery-beat's."""
    user = get_user_model().objects.create_user("roster_admin", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["agencies", "django_celery_beat"])
    )
    return user


def test_a_roster_admin_sees_no_periodic_tasks(client, roster_admin):
    client.force_login(roster_admin)
    index = client.get("/admin/").content.decode()
    assert "/admin/agencies/agency/" in index
    assert "django_celery_beat" not in index
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert client.get("/admin/django_celery_beat/").status_code == 404


def test_a_superuser_still_manages_periodic_tasks(client, demo):
    client.force_login(demo.admin)
    assert "/admin/django_celery_beat/periodictask/" in client.get("/admin/").content.decode()
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
