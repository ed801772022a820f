"""The status filter on /incidents/: real checkboxes, ticked for what is shown, that filter the list."""

from html.parser import HTMLParser

import pytest

from incidents.models import Incident
from incidents.services import incident_open

pytestmark = pytest.mark.django_db


class Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))


def status_boxes(html: str) -> dict[str, bool]:
    """value → ticked, for every status checkbox on the page."""
    parser = Inputs()
    parser.feed(html)
    return {
        item["value"]: "checked" in item
        for item in parser.inputs
        if item.get("name") == "status" and item.get("type") == "checkbox"
    }


@pytest.fixture
def two_incidents(demo):
    burning = incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="仓库起火")
    over = incident_open(by=demo.dispatcher, kind="traffic_accident", severity=4, title="追尾事故")
    Incident.objects.filter(pk=over.pk).update(status="closed")
    return burning, over


def test_the_status_filter_is_checkboxes_ticked_for_the_default(client, demo, two_incidents):
    client.force_login(demo.dispatcher)
    page = client.get("/incidents/").content.decode()
    assert status_boxes(page) == {"active": True, "contained": True, "closed": False, "cancelled": False}
    assert "仓库起火" in page and "追尾事故" not in page


def test_ticking_closed_alone_lists_the_closed_incidents(client, demo, two_incidents):
    client.force_login(demo.dispatcher)
    page = client.get("/incidents/", {"status": ["closed"], "q": ""}).content.decode()
    assert status_boxes(page) == {"active": False, "contained": False, "closed": True, "cancelled": False}
    assert "追尾事故" in page and "仓库起火" not in page
    both = client.get("/incidents/", {"status": ["active", "closed"]}).content.decode()
    assert "追尾事故" in both and "仓库起火" in both


def test_an_unknown_status_is_an_error_shown_not_a_500(client, demo, two_incidents):
    client.force_login(demo.dispatcher)
    response = client.get("/incidents/", {"status": ["burning"]})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
