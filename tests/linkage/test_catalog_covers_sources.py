"""Every message the code or a template marks for translation has a zh-hans entry: a string passed to
gettext / gettext_lazy / gettext_noop / ngettext / pgettext (under any alias, `_` included) in the
Python sources, and every {% translate %} / {% blocktranslate %} in the templates. A msgid missing from
locale/zh_Hans/LC_MESSAGES/django.po comes out in English in the Chinese UI and API.

Python is read with `ast` (implicit string concatenation joined as the compiler does); templates are
turned into gettext calls by Django's own `templatize` (what makemessages feeds xgettext), so nothing
here writes to the locale directory."""

import ast
import re
from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation.template import templatize

BASE = Path(settings.BASE_DIR)
CATALOG = BASE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
APPS = ("agencies", "incidents", "interop", "linkage", "notifications")
# function → (index of the context argument or None, index of the msgid argument)
FUNCTIONS = {
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\(({STRING})(?:, ({STRING}))?")


def python_messages(path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every literal passed to a translation function in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for name in node.names:
                if name.name in FUNCTIONS:
                    aliases[name.asname or name.name] = FUNCTIONS[name.name]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            where = aliases.get(name) or (FUNCTIONS.get(name) if isinstance(func, ast.Attribute) else None)
            if where is None:
                continue
            context_at, msgid_at = where
            args = node.args
            if len(args) <= msgid_at or not isinstance(args[msgid_at], ast.Constant):
                continue
            context = args[context_at].value if context_at is not None else None
            if isinstance(args[msgid_at].value, str) and args[msgid_at].value:
                found.add((context, args[msgid_at].value))
    return found


def template_messages(path: Path) -> set[tuple[str | None, str]]:
    found = set()
    for function, first, second in TEMPLATE_CALL.findall(templatize(path.read_text(encoding="utf-8"))):
        first = ast.literal_eval(first.removeprefix("u"))
        second = ast.literal_eval(second.removeprefix("u")) if second else None
        found.add((first, second) if function.startswith(("pgettext", "npgettext")) else (None, first))
    return found


def sources():
    for app in APPS:
        for path in sorted((BASE / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, python_messages(path)
    for path in sorted((BASE / "templates").rglob("*.html")) + sorted((BASE / "templates").rglob("*.txt")):
        yield path, template_messages(path)


def test_the_source_scanner_finds_what_it_should():
    assert (None, "Respond as requested by dispatch.") in python_messages(BASE / "incidents" / "services.py")
    assert (None, "The Idempotency-Key header is empty.") in python_messages(BASE / "incidents" / "idempotency.py")
    preview = template_messages(BASE / "templates" / "incidents" / "_plan_preview.html")
    assert (None, "Agencies to bring in") in preview
    assert (None, "A similar incident is open nearby: the same event called in again?") in preview
    assert (None, "The plan for this kind at level %(level)s:") in preview  # a blocktranslate


def test_every_marked_message_has_a_chinese_entry():
    catalog = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(CATALOG)) if not entry.obsolete}
    missing = sorted(
        f"{path.relative_to(BASE)}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for path, messages in sources()
        for context, msgid in messages
        if (context, msgid) not in catalog
    )
    assert missing == []


# --- What an API caller reads under zh-hans --------------------------------------------------------

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
BODY = {"kind": "building_fire", "severity": 4, "title": "居民楼起火", "latitude": "25.043", "longitude": "102.71"}


def test_api_messages_come_in_chinese_under_zh_hans(demo, api):
    client = api(demo.dispatcher)
    for key, said in (("   ", "为空"), ("k" * 201, "超过 200 个字符"), ("钥匙", "ASCII")):
        answer = client.post("/api/v1/incidents/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key, **ZH)
        assert answer.status_code == 400 and said in answer.data["detail"], answer.data
    assert client.post("/api/v1/incidents/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **ZH).status_code == 201
    other = client.post(
        "/api/v1/incidents/", {**BODY, "severity": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **ZH
    )
    assert other.status_code == 422 and "已用于另一个请求体" in other.data["detail"]
    assert client.get("/api/v1/no-such-thing/", **ZH).json() == {"detail": "未找到。"}
    incident = other.data["incident"]
    nothing = client.patch(f"/api/v1/incidents/{incident}/", {}, format="json", **ZH)
    assert nothing.status_code == 400 and "没有要修改的内容。" in str(nothing.data)
    unknown = client.post(f"/api/v1/incidents/{incident}/assignments/", {"agency": "km-nope"}, format="json", **ZH)
    assert unknown.status_code == 400 and "未知单位" in str(unknown.data)
