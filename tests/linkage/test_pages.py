import pytest
from django.urls import reverse

from incidents.services import incident_open


def test_login_page_has_username_and_password(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html


def test_anonymous_home_goes_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_logging_in_with_the_form_lands_on_home(client, demo):
    response = client.post("/accounts/login/", {"username": "fire_liaison", "password": "linkage-demo"})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_wrong_password_is_explained_not_500(client, demo):
    response = client.post("/accounts/login/", {"username": "fire_liaison", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


@pytest.fixture
def two_incidents(demo):
    hazmat = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏")
    crash = incident_open(by=demo.dispatcher, kind="traffic_accident", severity=4, title="追尾事故")
    return hazmat, crash


def test_home_shows_who_you_are_your_agency_role_and_your_incidents(client, demo, two_incidents):
    hazmat, crash = two_incidents
    client.force_login(demo.fire_liaison)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "消防联络员" in html  # the demo user's name
    assert "昆明市消防救援支队 / Kunming Fire and Rescue Detachment" in html
    assert "Liaison" in html
    assert hazmat.reference in html and "氯气泄漏" in html
    assert crash.reference not in html and "追尾事故" not in html


def test_commander_home_lists_every_active_incident(client, demo, two_incidents, django_assert_max_num_queries):
    client.force_login(demo.commander)
    with django_assert_max_num_queries(12):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert all(incident.reference in html for incident in two_incidents)
    assert "Commander" in html


def test_home_in_chinese(client, demo, two_incidents):
    client.force_login(demo.commander)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_admin_lists_agencies_and_incidents(client, demo, two_incidents):
    client.force_login(demo.admin)
    for url in (
        "/admin/agencies/agency/",
        "/admin/agencies/membership/?on_duty=now",
        "/admin/agencies/shift/",
        "/admin/incidents/linkageplan/",
        "/admin/incidents/escalationpolicy/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{two_incidents[0].pk}/change/",
        "/admin/incidents/assignment/",
        f"/admin/agencies/agency/{demo.agency('km-fire').pk}/change/",
        f"/admin/incidents/linkageplan/{two_incidents[0].assignments.first().plan_step.plan_id}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_cannot_change_an_incidents_status(client, demo, two_incidents):
    client.force_login(demo.admin)
    hazmat = two_incidents[0]
    response = client.post(f"/admin/incidents/incident/{hazmat.pk}/change/", {"status": "closed"})
    assert response.status_code == 403
    hazmat.refresh_from_db()
    assert hazmat.status == "active"
