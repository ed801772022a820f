"""The hostile-input battery: every API operation (read from the OpenAPI schema, so a new endpoint
joins by itself), every page form, every admin changelist and every socket path gets deep JSON, huge
and non-finite numbers, NaN/Infinity literals, NUL bytes, invalid UTF-8, lone surrogates, overlong
strings, wrong types and bad query parameters. Nothing may answer 5xx; a socket answers with a close
code, never a crash."""

import json
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from incidents import services
from linkage.asgi import application
from notifications.models import Notification
from notifications.services import Recipient, notify

pytestmark = pytest.mark.django_db

HUGE_INT = 2**70
LONG = "长" * 20_000
# Raw JSON texts: what a JSON encoder would never produce, and what a client still may send.
RAW_BODIES = {
    "deep-arrays": "[" * 1000 + "]" * 1000,
    "deep-objects": '{"a":' * 1000 + "1" + "}" * 1000,
    "deep-inside-a-field": '{"text": '
    + "[" * 900
    + "]" * 900
    + ', "reason": {"a": ' * 1
    + "[" * 900
    + "]" * 900
    + "}}",
    "nan-literal": '{"title": NaN, "latitude": NaN, "longitude": Infinity, "severity": -Infinity}',
    "huge-exponent-literal": '{"latitude": 1e999999999, "longitude": -1e999999999, "severity": 1e999}',
    "huge-integer-literal": '{"severity": ' + "9" * 5000 + ', "incident": ' + "9" * 30 + "}",
    "nul-escape": '{"title": "a\\u0000b", "text": "\\u0000", "reason": "\\u0000", "username": "\\u0000"}',
    "lone-surrogate": '{"title": "\\ud800", "text": "\\udfff", "reason": "\\ud800", "username": "\\ud800"}',
    "nul-key": '{"\\u0000": 1}',
    "top-level-string": '"just a string"',
    "top-level-number": "1e999999999",
    "top-level-null": "null",
    "top-level-array": "[1, 2, 3]",
    "truncated": '{"title": "半',
    "trailing-garbage": '{"title": "x"} trailing',
    "empty": "",
    "whitespace": "   ",
    "duplicate-keys": '{"title": "a", "title": {"b": 1}}',
}
# Field values, each sent in every field an operation takes.
VALUES = {
    "huge-number-string": "1e999999999",
    "negative-huge-number-string": "-1e999999999",
    "nan-string": "NaN",
    "infinity-string": "Infinity",
    "signalling-nan": "sNaN",
    "long-digits": "1" * 5000,
    "huge-int": HUGE_INT,
    "negative-int": -1,
    "float": 1.5,
    "out-of-range": 181,
    "bool": True,
    "null": None,
    "list": [1, "a", None],
    "dict": {"a": {"b": "c"}},
    "empty-string": "",
    "overlong": LONG,
    "nul": "a\x00b",
    "controls": "\x07\x1b[31m\x7f",
    "invisible": "\u200b\u202e\u2066",
    "rtl-override": "\u202eevil",
    "html": "<script>alert(1)</script>",
    "sql": "'; DROP TABLE incidents_incident; --",
    "path": "../../../../etc/passwd",
    "format-string": "%(x)s %s {0} {x}",
}
BAD_BYTES = {
    "invalid-utf8": b'{"title": "\xff\xfe\xfd", "text": "\xc3\x28", "reason": "\xed\xa0\x80"}',
    "utf16": '{"title": "火"}'.encode("utf-16"),
    "binary": bytes(range(256)),
}
BAD_QUERY_VALUES = [
    "abc",
    "-1",
    "0",
    "1e999999999",
    "NaN",
    "9" * 40,
    "%00",
    "%ff%fe",
    "%ed%a0%80",
    quote(LONG[:3000]),
    "[]",
    "a&{name}=b",
]
BAD_PATH_IDS = ["0", "-1", "abc", "9" * 25, "1e3", "%00", "%ff", "1.5"]


def assert_no_server_error(response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"


@pytest.fixture
def world(demo, settings):
    """One of everything an operation may name, and tokens for people who may do each thing."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "writes": "100000/min"},
    }
    incident = services.incident_open(
        by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼起火", latitude="25.04", longitude="102.71"
    )
    notify(cause="t:hostile", level=1, recipients=[Recipient(demo.fire_liaison)], subject="s", body="b")
    ids = {
        "incidents": incident.pk,
        "assignments": incident.assignments.get(agency__code="km-fire").pk,
        "notifications": Notification.objects.filter(recipient=demo.fire_liaison).first().pk,
        "agencies": demo.agency("km-fire").pk,
        "plans": 1,
    }
    tokens = {name: Token.objects.get_or_create(user=demo.users[name])[0].key for name in ("admin", "fire_liaison")}
    return {"incident": incident, "ids": ids, "tokens": tokens}


def api_operations():
    """(method, path template, body fields, query parameter names) for every operation in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            fields = set()
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content["schema"].get("$ref", "")
                if ref:
                    fields |= set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]].get("properties", {}))
            query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            operations.append((method.upper(), path, sorted(fields), query))
    return operations


def _fill(path: str, ids: dict, pk=None) -> str:
    collection = path.split("/")[3]
    return path.replace("{id}", str(pk if pk is not None else ids.get(collection, 1)))


def _send(client: Client, method: str, path: str, token: str, data, content_type: str = "application/json"):
    return client.generic(method, path, data, content_type=content_type, HTTP_AUTHORIZATION=f"Token {token}")


def test_every_api_operation_answers_hostile_bodies_without_a_server_error(world):
    client = Client(raise_request_exception=False)
    operations = [op for op in api_operations() if op[0] in ("POST", "PATCH", "PUT", "DELETE")]
    assert len(operations) >= 15  # the schema was read
    tried = 0
    for method, template, fields, _query in operations:
        path = _fill(template, world["ids"])
        field_names = fields or ["title", "text", "reason", "latitude"]
        bodies = {name: text.encode() for name, text in RAW_BODIES.items()}
        bodies |= BAD_BYTES
        for name, value in VALUES.items():
            bodies[f"every-field-{name}"] = json.dumps(dict.fromkeys(field_names, value)).encode()
        for token_name, token in world["tokens"].items():
            for name, body in bodies.items():
                response = _send(client, method, path, token, body)
                assert_no_server_error(response, f"{method} {path} as {token_name} with {name}")
                tried += 1
            for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
                response = _send(client, method, path, token, b"title=%00&x=\xff", content_type)
                assert_no_server_error(response, f"{method} {path} as {content_type}")
    assert tried > 1000


def test_the_anonymous_token_endpoint_answers_deep_json_with_a_400(world):
    response = Client(raise_request_exception=False).post(
        "/api/v1/auth/token/", RAW_BODIES["deep-arrays"], content_type="application/json"
    )
    assert response.status_code == 400


def test_every_api_operation_answers_bad_ids_and_query_parameters_without_a_server_error(world):
    client = Client(raise_request_exception=False)
    token = world["tokens"]["admin"]
    for method, template, _fields, query in api_operations():
        if "{id}" in template:
            for bad in BAD_PATH_IDS:
                response = _send(client, method, _fill(template, world["ids"], bad), token, b"{}")
                assert_no_server_error(response, f"{method} {template} id={bad}")
        path = _fill(template, world["ids"])
        for name in [*query, "page", "page_size", "format", "ordering", "after", "limit"]:
            for bad in BAD_QUERY_VALUES:
                response = _send(client, method, f"{path}?{name}={bad.format(name=name)}", token, b"{}")
                assert_no_server_error(response, f"{method} {path}?{name}={bad[:20]}")


# Besides: numbers Python's Decimal reads but nobody types as a coordinate — full-width, Arabic-Indic and
# Persian digits, underscores — all within range, so only the ASCII-syntax rule refuses them.
@pytest.mark.parametrize(
    "huge", ["1e999999999", "-1e999999999", "NaN", "Infinity", "1" * 60, "91", "１２", "١٢", "۱۲.۵", "1_0", "2_4.9"]
)
def test_bad_coordinates_are_refused_in_every_place_that_takes_one(world, demo, api, huge):
    """The API's create, plan preview and similar-incident search, the intake page and its plan
    preview, and a CAP alert's circle: a 400 (or, for the page's preview, no map hint), nothing opened."""
    from incidents.models import Incident

    before = Incident.objects.count()
    dispatcher = api("dispatcher")
    created = dispatcher.post(
        "/api/v1/incidents/",
        {"kind": "building_fire", "severity": 4, "title": "t", "latitude": huge, "longitude": "102"},
        format="json",
    )
    preview = dispatcher.get("/api/v1/plans/preview/", {"kind": "building_fire", "severity": 4, "latitude": huge})
    similar = dispatcher.get("/api/v1/incidents/similar/", {"kind": "building_fire", "latitude": huge, "longitude": 1})
    assert (created.status_code, preview.status_code, similar.status_code) == (400, 400, 400)
    assert all("latitude" in response.json() for response in (created, preview, similar))

    page = Client(raise_request_exception=False)
    page.force_login(demo.dispatcher)
    assert (
        page.get("/incidents/new/plan/", {"kind": "building_fire", "severity": 4, "latitude": huge}).status_code == 200
    )
    form_token = page.get("/incidents/new/").context["form_token"]
    intake = page.post(
        "/incidents/new/",
        {
            "kind": "building_fire",
            "severity": "4",
            "title": "t",
            "latitude": huge,
            "longitude": "102",
            "agencies": ["km-fire"],
            "plan_for": "building_fire:4",
            "form_token": form_token,
        },
    )
    assert intake.status_code == 400 and "latitude" in intake.context["form"].errors

    cap = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>HUGE-1</identifier><sender>119@kunming</sender><sent>2026-11-28T10:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Restricted</scope>
  <info><category>Fire</category><event>火</event><urgency>Immediate</urgency><severity>Severe</severity>
  <certainty>Observed</certainty><headline>坐标异常</headline>
  <area><areaDesc>某地</areaDesc><circle>{huge},102.7 0</circle></area></info>
</alert>""".encode()
    ingested = dispatcher.post("/api/v1/cap/", cap, content_type="application/xml")
    assert ingested.status_code == 400, ingested.content
    assert Incident.objects.count() == before


# --- Pages ---------------------------------------------------------------------------------------

FORM_VALUES = {
    **{name: value for name, value in VALUES.items() if isinstance(value, str)},
    "ideographic-space": "\u3000",
    "surrogate-as-utf8": "\udcff",  # becomes invalid UTF-8 bytes on the wire
}


def _form_body(fields: list[str], value: str) -> bytes:
    """urlencoded, with lone surrogates written as the invalid UTF-8 a browser could send."""
    encoded = value.encode("utf-8", "surrogateescape") if "\udcff" in value else value.encode("utf-8")
    return "&".join(f"{field}={{}}" for field in fields).format(*[quote(encoded)] * len(fields)).encode()


def test_every_page_form_answers_hostile_input_without_a_server_error(world, demo):
    incident, ids = world["incident"], world["ids"]
    pages = {
        "dispatcher": [
            (
                "POST",
                "/incidents/new/",
                [
                    "kind",
                    "severity",
                    "title",
                    "description",
                    "address",
                    "latitude",
                    "longitude",
                    "agencies",
                    "plan_for",
                    "exercise",
                    "form_token",
                ],
            ),
            ("GET", "/incidents/new/plan/", ["kind", "severity", "latitude", "longitude", "plan_for", "agencies"]),
            ("POST", f"/incidents/{incident.pk}/notes/", ["text", "next"]),
            ("POST", f"/incidents/{incident.pk}/severity/", ["severity", "next"]),
            ("POST", f"/incidents/{incident.pk}/assignments/", ["agency", "task", "accept_within_seconds"]),
            ("POST", f"/incidents/{incident.pk}/cancel/", ["reason"]),
            ("GET", "/incidents/", ["status", "kind", "severity", "agency", "exercise", "q", "page"]),
            ("GET", "/board/", ["agency", "page"]),
        ],
        "fire_liaison": [
            ("POST", f"/assignments/{ids['assignments']}/decline/", ["reason", "next"]),
            ("POST", f"/assignments/{ids['assignments']}/progress/", ["status", "note"]),
            ("GET", "/dashboard/", ["agency"]),
            ("GET", "/notifications/", ["page", "unread"]),
            ("POST", "/notifications/read/", ["next"]),
            ("GET", f"/notifications/{ids['notifications']}/open/", ["next"]),
            ("GET", "/agencies/km-fire/roster/", ["page", "at"]),
        ],
        None: [("POST", reverse("login"), ["username", "password", "next"])],
    }
    for username, forms in pages.items():
        client = Client(raise_request_exception=False)
        if username:
            client.force_login(demo.users[username])
        for method, path, fields in forms:
            for name, value in FORM_VALUES.items():
                body = _form_body(fields, value)
                if method == "GET":
                    response = client.get(f"{path}?{body.decode()}")
                else:
                    response = client.generic(method, path, body, content_type="application/x-www-form-urlencoded")
                assert_no_server_error(response, f"{method} {path} with {name}")
            response = client.generic(
                method, path, BAD_BYTES["binary"], content_type="application/x-www-form-urlencoded"
            )
            assert_no_server_error(response, f"{method} {path} with binary")


def test_page_urls_with_hostile_ids_answer_without_a_server_error(world, demo):
    client = Client(raise_request_exception=False)
    client.force_login(demo.dispatcher)
    for bad in ["9" * 25, "%00", "%ff", "-1"]:
        for path in (
            f"/incidents/{bad}/",
            f"/assignments/{bad}/accept/",
            f"/agencies/{bad}/roster/",
            f"/notifications/{bad}/open/",
        ):
            assert_no_server_error(client.get(path), path)
            assert_no_server_error(client.post(path), path)


# --- Admin ---------------------------------------------------------------------------------------

ADMIN_GARBAGE = ["zzz", "%00", "9" * 30, "%ff", "2026-13-45"]


def test_every_admin_changelist_answers_bad_filters_without_a_server_error(demo, world):
    client = Client(raise_request_exception=False)
    client.force_login(demo.admin)
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        names = {"id", "pk", "o", "p", "q", "e", "all", "_popup", "_to_field"}
        for list_filter in model_admin.list_filter:
            if isinstance(list_filter, str):
                names |= {list_filter, f"{list_filter}__exact", f"{list_filter}__id__exact", f"{list_filter}__isnull"}
            elif hasattr(list_filter, "parameter_name"):
                names.add(list_filter.parameter_name)
        if model_admin.date_hierarchy:
            names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day", "gte", "lt")}
        names |= {"id__gt", "id__in", "pk__exact", "created_at__gte"}
        for name in sorted(names):
            for bad in ADMIN_GARBAGE:
                response = client.get(f"{url}?{name}={bad}")
                assert_no_server_error(response, f"{url}?{name}={bad}")
        for bad in ["abc", "9" * 30, "%00", "-1"]:
            change = url.replace("/", "/", 1) + f"{bad}/change/"
            assert_no_server_error(client.get(change), change)


# Date-hierarchy parts outside the calendar: each alone and together (year 0 or 0000 made a 500).
OUT_OF_RANGE_DATES = [
    "year=0",
    "year=0000",
    "year=00",
    "year=9999",  # the hierarchy's upper bound, the next year, is past what Python's dates hold
    "year=9999&month=12&day=31",
    "year=2026&month=0",
    "year=2026&month=13",
    "year=2026&month=99",
    "year=2026&month=5&day=0",
    "year=2026&month=5&day=32",
    "year=2026&month=5&day=00",
    "month=13",
    "day=32",
]
EDGE_DATES = [  # real parts, odd dates: never a 500, whatever the admin makes of them
    "year=1",
    "year=9998",
    "year=9998&month=12",
    "year=9998&month=12&day=31",
    "year=2026&month=2&day=31",
    "year=2026&month=2&day=29",
    "year=2024&month=2&day=29",
    "year=0001&month=01&day=01",
]


def test_admin_date_parts_outside_the_calendar_are_a_400_on_every_date_hierarchy(demo):
    client = Client(raise_request_exception=False)
    client.force_login(demo.admin)
    hierarchies = [
        (model, model_admin.date_hierarchy)
        for model, model_admin in admin.site._registry.items()
        if model_admin.date_hierarchy
    ]
    assert hierarchies
    for model, field in hierarchies:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for query in OUT_OF_RANGE_DATES:
            query = "&".join(f"{field}__{part}" for part in query.split("&"))
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, (f"{url}?{query}", response.status_code)
        for query in EDGE_DATES:
            query = "&".join(f"{field}__{part}" for part in query.split("&"))
            assert_no_server_error(client.get(f"{url}?{query}"), f"{url}?{query}")


# --- Sockets -------------------------------------------------------------------------------------

def handshake(path: str, query: bytes = b"", headers=None) -> tuple[bool, int | None]:
    """(accepted, close code) of one handshake through the whole ASGI stack; an exception fails the test."""

    async def attempt():
        communicator = WebsocketCommunicator(application, path, headers=headers or [(b"origin", b"http://localhost")])
        communicator.scope["query_string"] = query
        connected, code = await communicator.connect(timeout=3)
        await communicator.disconnect()
        return connected, code

    return async_to_sync(attempt)()


BAD_SOCKET_QUERIES = [
    b"token=%00",
    b"ticket=%00",
    b"ticket=" + b"A" * 100_000,
    b"ticket=%ff%fe",
    b"ticket=\xff\xfe\x00",
    b"ticket=a&ticket=b&ticket=",
    b"ticket=eyJ1IjoxfQ:1abc:def",
    b"%%%%",
    b"=&&==",
    b"\x00\x01\x02",
]
BAD_SOCKET_PATHS = [
    "/ws/agency/" + "9" * 30 + "/",
    "/ws/incident/" + "9" * 30 + "/",
    "/ws/agency/0/",
    "/ws/nothing-here/",
    "/ws/incident/abc/",
    "/ws/",
    "/",
]


HOSTILE_HEADERS = {
    "nul-session": [(b"cookie", b"sessionid=\x00\x00\x00\x00\x00\x00\x00\x00\x00")],
    "octal-nul-session": [(b"cookie", b'sessionid="abcdefgh\\000"')],
    "long-session": [(b"cookie", b"sessionid=" + b"x" * 10_000)],
    "binary-cookie": [(b"cookie", b"\xff\xfe=\xff")],
}
ORIGIN = [(b"origin", b"http://localhost")]

# One transactional test per kind (each flushes and seeds the database): loops, not parameters.


@pytest.mark.django_db(transaction=True)
def test_bad_socket_query_strings_are_refused_with_a_close_code(demo):
    seen = {
        (path, query): handshake(path, query)
        for path in ("/ws/board/", "/ws/agency/1/")
        for query in BAD_SOCKET_QUERIES
    }
    assert set(seen.values()) == {(False, 4403)}, seen


@pytest.mark.django_db(transaction=True)
def test_unknown_or_impossible_socket_paths_and_hostile_headers_are_refused_with_a_close_code(demo):
    paths = {path: handshake(path) for path in BAD_SOCKET_PATHS}
    assert all(connected is False and code in (4403, 4404) for connected, code in paths.values()), paths
    assert paths["/ws/nothing-here/"] == (False, 4404)
    headers = {name: handshake("/ws/board/", headers=ORIGIN + extra) for name, extra in HOSTILE_HEADERS.items()}
    assert set(headers.values()) == {(False, 4403)}, headers
    # A foreign, binary or absurd origin is refused by the origin check (its plain close, 1000).
    for origin in (b"\xff\xfe", b"http://" + b"a" * 5000, b"null"):
        assert handshake("/ws/board/", headers=[(b"origin", origin)]) == (False, 1000)


def test_hostile_session_cookies_on_pages_are_not_a_server_error(demo):
    client = Client(raise_request_exception=False)
    for cookie in ["\x00" * 9, "abcdefgh\\000", "x" * 10_000, "\xff" * 10, "../../etc"]:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert_no_server_error(client.get("/"), f"session cookie {cookie[:10]!r}")
        assert_no_server_error(client.get("/api/v1/incidents/"), f"session cookie {cookie[:10]!r} on the API")


# --- Fuzz: the socket handshake and the pages' forms (the API has schemathesis) -------------------

FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
socket_paths = st.one_of(
    st.sampled_from(["/ws/board/", "/ws/notifications/", "/ws/agency/", "/ws/incident/"]).flatmap(
        lambda base: st.builds(lambda tail: base + tail, st.text(max_size=30))
    ),
    st.text(max_size=60).map(lambda text: "/" + text),
)


@pytest.mark.django_db(transaction=True)
@hypothesis_settings(FUZZ, max_examples=25)  # each handshake is a round trip through the whole stack
@given(path=socket_paths, query=st.binary(max_size=300), cookie=st.binary(max_size=80))
def test_fuzzed_handshakes_are_always_refused_with_a_close_code(demo, path, query, cookie):
    """Anonymous, or with a made-up session cookie: whatever the path, query and cookie bytes, the
    handshake is refused with 4403 (no access) or 4404 (no such socket), never an error."""
    headers = [*ORIGIN, (b"cookie", b"sessionid=" + cookie)]
    connected, code = handshake(quote(path, safe="/"), query, headers=headers)
    assert connected is False and code in (4403, 4404)


# The test client encodes with UTF-8: no lone surrogates here (the battery sends them as raw bytes).
page_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.sampled_from([v for v in FORM_VALUES.values() if len(v) < 1000 and "\udcff" not in v]),
)


@FUZZ
@given(
    form=st.sampled_from(["intake", "preview", "note", "decline", "severity", "add", "progress", "cancel"]),
    values=st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "severity",
                "title",
                "description",
                "address",
                "latitude",
                "longitude",
                "agencies",
                "plan_for",
                "form_token",
                "text",
                "reason",
                "status",
                "note",
                "agency",
                "task",
                "next",
            ]
        ),
        st.lists(page_text, min_size=1, max_size=3),
        max_size=8,
    ),
)
def test_fuzzed_page_forms_never_answer_a_server_error(fuzz_world, form, values):
    client, url = fuzz_world[form]
    response = client.get(url, values) if form == "preview" else client.post(url, values)
    assert_no_server_error(response, f"{form} {values!r}"[:300])


@pytest.fixture
def fuzz_world(world, demo):
    incident, ids = world["incident"], world["ids"]
    dispatcher, liaison = Client(raise_request_exception=False), Client(raise_request_exception=False)
    dispatcher.force_login(demo.dispatcher)
    liaison.force_login(demo.fire_liaison)
    return {
        "intake": (dispatcher, "/incidents/new/"),
        "preview": (dispatcher, "/incidents/new/plan/"),
        "note": (dispatcher, f"/incidents/{incident.pk}/notes/"),
        "severity": (dispatcher, f"/incidents/{incident.pk}/severity/"),
        "add": (dispatcher, f"/incidents/{incident.pk}/assignments/"),
        "cancel": (dispatcher, f"/incidents/{incident.pk}/cancel/"),
        "decline": (liaison, f"/assignments/{ids['assignments']}/decline/"),
        "progress": (liaison, f"/assignments/{ids['assignments']}/progress/"),
    }
