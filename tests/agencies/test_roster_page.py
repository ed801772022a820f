from datetime import timedelta

from django.utils import timezone

from agencies.models import Membership, Shift


def test_chief_reads_the_roster_with_who_is_on_duty_now_and_next(client, demo):
    fire_liaison = Membership.objects.get(user=demo.fire_liaison)
    now = timezone.now()
    Shift.objects.create(
        membership=fire_liaison, starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=8)
    )
    client.force_login(demo.fire_chief)
    html = client.get("/agencies/km-fire/roster/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "On duty now" in html and "Next on duty" in html
    assert fire_liaison.phone in html
    assert "Fire liaison" in html and "Fire duty chief" in html  # names in the reader's language
    assert "公安联络员" not in html  # only this agency's members


def test_nobody_on_duty_is_said_plainly(client, demo):
    Shift.objects.filter(membership__agency__code="km-police").delete()
    client.force_login(demo.police_chief)
    html = client.get("/agencies/km-police/roster/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nobody is on duty now." in html


def test_other_agencies_rosters_and_unknown_codes_are_404(client, demo):
    client.force_login(demo.fire_chief)
    assert client.get("/agencies/km-police/roster/").status_code == 404
    assert client.get("/agencies/no-such-agency/roster/").status_code == 404
