"""/incidents/: the header counts every incident the filter matches, not the rows the page shows
(the newest INDEX_ROWS); a capped list says so. A declined agency stands out there as on the board:
its own loud class, the declined icon and the reason — never muted grey."""

import re
from pathlib import Path

from django.conf import settings
from django.test import Client

from incidents.models import Incident, IncidentStatus
from incidents.services import assignment_decline
from incidents.views import INDEX_ROWS

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def finished(demo, count: int) -> None:
    Incident.objects.bulk_create(
        Incident(
            kind="building_fire",
            severity=4,
            title=f"旧火警 {number}",
            status=IncidentStatus.CLOSED if number % 2 else IncidentStatus.CANCELLED,
            reference=f"OLD-{number:06d}",
            created_by=demo.dispatcher,
        )
        for number in range(count)
    )


def header_count(html: str) -> int:
    return int(re.search(r'<span class="count">(\d+)</span>', html).group(1))


def test_the_header_gives_the_true_total_and_says_how_many_are_shown(demo):
    finished(demo, INDEX_ROWS + 45)
    client = Client()
    client.force_login(demo.dispatcher)
    url = "/incidents/?status=closed&status=cancelled"
    chinese = client.get(url, **ZH).content.decode()
    assert header_count(chinese) == INDEX_ROWS + 45
    assert chinese.count('<td class="ref">') == INDEX_ROWS
    assert f"显示最新的 {INDEX_ROWS} 个，共 {INDEX_ROWS + 45} 个" in chinese
    english = client.get(url, **EN).content.decode()
    assert f"Showing the newest {INDEX_ROWS} of {INDEX_ROWS + 45}" in english


def test_an_uncapped_list_counts_its_rows_and_says_nothing_more(demo, fire_incident):
    client = Client()
    client.force_login(demo.dispatcher)
    html = client.get("/incidents/", **EN).content.decode()
    assert header_count(html) == 1
    assert "Showing the newest" not in html


def test_a_declined_agency_is_loud_in_the_list_with_its_reason(demo, fire_task):
    assignment_decline(assignment=fire_task, by=demo.fire_liaison, reason="力量全部在外")
    client = Client()
    client.force_login(demo.dispatcher)
    html = client.get("/incidents/", **ZH).content.decode()
    row = re.search(r'<li class="st-declined">.*?</li>', html, flags=re.DOTALL).group(0)
    assert "icon-declined" in row
    assert "力量全部在外" in row
    css = (Path(settings.BASE_DIR) / "static" / "linkage" / "linkage.css").read_text()
    rules = re.findall(r"ul\.agencies li\.st-declined\s*\{([^}]*)\}", css)
    assert rules and "var(--muted)" not in rules[-1] and "#b3261e" in rules[-1]  # the last rule wins
