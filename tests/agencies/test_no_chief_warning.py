"""An agency with nobody at the chief level is pointed out where its roster is kept: the admin's agency
list (a column and a filter), the agency's admin page (a warning) and the roster page."""

from agencies.models import MemberRole, Membership


def test_the_admin_lists_and_filters_agencies_with_no_chief(client, demo, no_chief):
    no_chief()
    client.force_login(demo.admin)
    html = client.get("/admin/agencies/agency/?chief=none", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "km-medical" in html and "km-fire" not in html
    html = client.get("/admin/agencies/agency/?chief=some", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "km-fire" in html and "km-medical" not in html
    html = client.get("/admin/agencies/agency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "duty chief" in html.lower() and html.count('alt="False"') >= 1


def test_the_agency_admin_page_warns_that_escalation_will_pass_the_chief_over(client, demo, no_chief):
    no_chief()
    client.force_login(demo.admin)
    medical = demo.agency("km-medical")
    html = client.get(f"/admin/agencies/agency/{medical.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kunming Emergency Medical Center has no active duty chief" in html
    assert "goes straight to the next" in html
    html = client.get(f"/admin/agencies/agency/{medical.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "昆明市急救中心没有在职的值班长" in html
    fire = demo.agency("km-fire")
    html = client.get(f"/admin/agencies/agency/{fire.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no active duty chief" not in html and "no active liaison" not in html


def test_a_chief_whose_account_is_disabled_does_not_count(client, demo):
    demo.medical_chief.is_active = False
    demo.medical_chief.save(update_fields=["is_active"])
    client.force_login(demo.admin)
    html = client.get("/admin/agencies/agency/?chief=none", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "km-medical" in html


def test_the_roster_page_says_there_is_no_chief_and_what_that_means(client, demo, no_chief):
    no_chief()
    client.force_login(demo.medical_liaison)
    html = client.get("/agencies/km-medical/roster/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'role="alert"' in html and "No duty chief." in html
    assert "goes straight to the commander and dispatchers" in html
    html = client.get("/agencies/km-medical/roster/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "无值班长。" in html and "直接转至指挥员和调度员" in html
    client.force_login(demo.fire_liaison)
    html = client.get("/agencies/km-fire/roster/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No duty chief." not in html and "No liaison." not in html


def test_the_roster_page_says_there_is_no_liaison(client, demo):
    Membership.objects.filter(agency=demo.agency("km-police"), role=MemberRole.LIAISON).update(is_active=False)
    client.force_login(demo.police_chief)
    html = client.get("/agencies/km-police/roster/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No liaison." in html and "No duty chief." not in html
