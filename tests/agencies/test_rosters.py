from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Agency, AgencyKind, MemberRole, Membership
from agencies.selectors import duty_chiefs, on_duty
from incidents.selectors import can_view_incident
from tests.factories import AgencyFactory, MembershipFactory, ShiftFactory


def test_on_duty_now_is_who_has_a_shift_covering_this_moment(db):
    agency = AgencyFactory()
    now = timezone.now()
    on = ShiftFactory(membership__agency=agency, starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=6))
    ShiftFactory(membership__agency=agency, starts_at=now - timedelta(hours=10), ends_at=now - timedelta(hours=2))
    later = ShiftFactory(
        membership__agency=agency, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=9)
    )
    ShiftFactory(
        membership__agency=agency,
        membership__is_active=False,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    assert list(on_duty(agency=agency)) == [on.membership]
    # A shift's end is exclusive: at the moment it ends, only the later shift is on duty.
    assert list(on_duty(agency=agency, at=on.ends_at)) == [later.membership]


def test_duty_chiefs_fall_back_to_every_chief_when_none_is_on_shift(db):
    agency = AgencyFactory()
    chief = MembershipFactory(agency=agency, role=MemberRole.CHIEF)
    other_chief = MembershipFactory(agency=agency, role=MemberRole.CHIEF)
    assert set(duty_chiefs(agency=agency)) == {chief, other_chief}
    ShiftFactory(membership=chief)
    assert duty_chiefs(agency=agency) == [chief]


def test_demo_has_a_liaison_and_a_chief_on_duty_in_every_agency(demo):
    for agency in Agency.objects.all():
        assert sorted(on_duty(agency=agency).values_list("role", flat=True)) == ["chief", "liaison"]


def test_membership_puts_the_user_in_the_agencys_group_and_out_again(db):
    membership = MembershipFactory()
    group = membership.agency.group
    assert group.name == f"agency:{membership.agency.code}"
    assert membership.user.groups.filter(pk=group.pk).exists()
    membership.is_active = False
    membership.save()
    assert not membership.user.groups.filter(pk=group.pk).exists()
    membership.is_active = True
    membership.save()
    membership.delete()
    assert not membership.user.groups.filter(pk=group.pk).exists()


def test_only_one_default_agency_per_kind(db):
    from django.db import IntegrityError, transaction

    AgencyFactory(kind=AgencyKind.OTHER, is_default_for_kind=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyFactory(kind=AgencyKind.OTHER, is_default_for_kind=True)
    AgencyFactory(kind=AgencyKind.OTHER, is_default_for_kind=False)


def test_moving_a_member_to_another_agency_ends_the_old_agencys_access(api, demo, fire_incident):
    membership = Membership.objects.get(user__username="fire_liaison")
    membership.agency = demo.agency("km-police")
    membership.save()
    user = membership.user.__class__.objects.get(pk=membership.user_id)
    assert list(user.groups.values_list("name", flat=True)) == ["agency:km-police"]
    assert not can_view_incident(user, fire_incident)
    assert api("fire_liaison").get(f"/api/v1/incidents/{fire_incident.pk}/").status_code == 404
