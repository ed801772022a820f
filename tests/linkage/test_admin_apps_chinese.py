"""The Chinese admin names every section in Chinese, third-party ones included: django-axes (which
ships no Chinese and calls itself "Axes") runs under linkage.apps.AxesConfig with a translated name,
and the labels axes and celery-beat leave untranslated are in Linkage's own catalog."""

import re

from django.contrib import admin
from django.test import RequestFactory
from django.utils import translation

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
# Written the same in Chinese.
SAME_IN_BOTH = {"ID", "URL", "HTTP Accept"}


def _in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


def test_every_admin_section_is_named_in_chinese(demo):
    request = RequestFactory().get("/admin/")
    request.user = demo.admin
    with translation.override("zh-hans"):
        sections = {app["app_label"]: str(app["name"]) for app in admin.site.get_app_list(request)}
    assert "axes" in sections
    assert sections["axes"] == "登录锁定"
    english = {label: name for label, name in sections.items() if not re.search(r"[\u4e00-\u9fff]", name)}
    assert english == {}


def test_the_chinese_admin_index_shows_no_axes_header(client, demo):
    client.force_login(demo.admin)
    html = client.get("/admin/", **ZH).content.decode()
    assert "登录锁定" in html
    assert not re.search(r">\s*Axes\s*<", html, flags=re.IGNORECASE)


def test_every_registered_models_labels_have_chinese(demo):
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        labels = [("model", meta.verbose_name), ("models", meta.verbose_name_plural)]
        labels += [(field.name, field.verbose_name) for field in meta.concrete_fields]
        labels += [(f"{field.name} help", field.help_text) for field in meta.concrete_fields if field.help_text]
        labels += [(f"fieldset {title}", title) for title, _options in (model_admin.fieldsets or []) if title]
        for name, label in labels:
            english = _in("en", label)
            if english not in SAME_IN_BOTH and _in("zh-hans", label) == english:
                untranslated.append(f"{meta.label}.{name}: {english}")
    assert untranslated == []
