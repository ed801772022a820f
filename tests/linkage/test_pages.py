from django.urls import reverse


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


def test_pages_answer_in_chinese_by_default(client, demo, hazmat_and_crash):
    client.force_login(demo.commander)
    response = client.get("/board/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()
    assert client.get("/board/").headers["Content-Language"] == "zh-hans"  # no header: Chinese


def test_admin_lists_agencies_and_incidents(client, demo, hazmat_and_crash):
    client.force_login(demo.admin)
    for url in (
        "/admin/agencies/agency/",
        "/admin/agencies/membership/?on_duty=now",
        "/admin/agencies/shift/",
        "/admin/incidents/linkageplan/",
        "/admin/incidents/escalationpolicy/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{hazmat_and_crash[0].pk}/change/",
        "/admin/incidents/assignment/",
        "/admin/notifications/notification/?status__exact=failed",
        "/admin/notifications/webhookendpoint/",
        f"/admin/agencies/agency/{demo.agency('km-fire').pk}/change/",
        f"/admin/incidents/linkageplan/{hazmat_and_crash[0].assignments.first().plan_step.plan_id}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_cannot_change_an_incidents_status(client, demo, hazmat_and_crash):
    client.force_login(demo.admin)
    hazmat = hazmat_and_crash[0]
    response = client.post(f"/admin/incidents/incident/{hazmat.pk}/change/", {"status": "closed"})
    assert response.status_code == 403
    hazmat.refresh_from_db()
    assert hazmat.status == "active"
