"""Agency names and plan tasks are stored in both languages; every page shows the reader's half only."""

import pytest

from incidents.services import incident_open
from linkage.bilingual import halves, in_language

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FIRE = ("昆明市消防救援支队", "Kunming Fire and Rescue Detachment")
MEDICAL = ("昆明市急救中心", "Kunming Emergency Medical Center")
FIRE_TASK = ("灭火、搜救被困人员", "Fight the fire, search and rescue")
MEDICAL_TASK = ("现场急救、转运伤员", "Treat and transport casualties")


def test_a_bilingual_text_splits_and_anything_else_stays_whole():
    assert halves("灭火、搜救被困人员 · Fight the fire, search and rescue") == FIRE_TASK
    assert in_language("昆明市 · Kunming", "en") == "Kunming"
    assert in_language("昆明市 · Kunming", "zh-hans") == "昆明市"
    for whole in ("Respond as requested by dispatch.", "居民楼厨房起火", "KM-2026 · 火灾", "A · B · 中文", "", None):
        assert halves(whole) is None
        assert in_language(whole, "en") == (whole or "")


def shows_only(page: str, wanted: tuple[str, ...], unwanted: tuple[str, ...]) -> None:
    for text in wanted:
        assert text in page, text
    for text in unwanted:
        assert text not in page, text


@pytest.fixture
def fire(demo):
    return incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼厨房起火")


@pytest.mark.parametrize(("headers", "half"), [(ZH, 0), (EN, 1)])
def test_the_incident_page_names_agencies_and_tasks_in_one_language(client, demo, fire, headers, half):
    client.force_login(demo.dispatcher)
    page = client.get(f"/incidents/{fire.pk}/", **headers).content.decode()
    other = 1 - half
    shows_only(
        page,
        (FIRE[half], MEDICAL[half], FIRE_TASK[half], MEDICAL_TASK[half]),
        (FIRE[other], MEDICAL[other], FIRE_TASK[other], MEDICAL_TASK[other]),
    )


@pytest.mark.parametrize(("headers", "half"), [(ZH, 0), (EN, 1)])
def test_the_dashboard_and_roster_name_the_agency_in_one_language(client, demo, fire, headers, half):
    client.force_login(demo.fire_liaison)
    dashboard = client.get("/dashboard/", **headers).content.decode()
    shows_only(dashboard, (FIRE[half], FIRE_TASK[half]), (FIRE[1 - half], FIRE_TASK[1 - half]))
    roster = client.get("/agencies/km-fire/roster/", **headers)
    assert roster.status_code == 200
    shows_only(roster.content.decode(), (FIRE[half], ("昆明市", "Kunming")[half]), (FIRE[1 - half],))


@pytest.mark.parametrize(("headers", "half", "within"), [(ZH, 0, "1分钟内接受"), (EN, 1, "accept within 1 min")])
def test_the_intake_preview_gives_tasks_and_deadlines_in_words(client, demo, headers, half, within):
    client.force_login(demo.dispatcher)
    page = client.get("/incidents/new/plan/", {"kind": "building_fire", "severity": 4}, **headers).content.decode()
    shows_only(page, (FIRE[half], FIRE_TASK[half], within), (FIRE[1 - half], FIRE_TASK[1 - half], "1:00"))
    # Medical has 90 s: minutes and seconds, each with its unit.
    assert ("1分30秒内接受", "accept within 1 min 30 s")[half] in page


def test_the_api_keeps_both(client, demo, fire):
    client.force_login(demo.dispatcher)
    body = client.get(f"/api/v1/incidents/{fire.pk}/", **EN).json()
    tasks = {
        item["agency"]["code"] if isinstance(item["agency"], dict) else item["agency"]: item["task"]
        for item in body["assignments"]
    }
    assert tasks["km-fire"] == f"{FIRE_TASK[0]} · {FIRE_TASK[1]}"


@pytest.mark.parametrize(("headers", "pattern"), [(ZH, "剩余 {time}"), (EN, "{time} left")])
def test_the_countdown_puts_the_words_where_the_language_wants_them(client, demo, headers, pattern):
    client.force_login(demo.dispatcher)
    page = client.get("/incidents/", **headers).content.decode()
    assert f'data-t-left="{pattern}"' in page
