"""Who sees what: DESIGN's "Who sees what", checked through the selectors and the services."""

import pytest
from django.core.exceptions import PermissionDenied

from agencies.models import Membership
from agencies.selectors import agencies_with_roster_visible_to, roster_for
from incidents.errors import TransitionError
from incidents.models import Assignment, AssignmentStatus, TimelineEntry
from incidents.selectors import (
    active_incidents,
    assignments_visible_to,
    can_view_incident,
    incident_list,
    incidents_visible_to,
    timeline_for,
)
from incidents.services import (
    assignment_accept,
    assignment_add,
    incident_close,
    incident_contain,
    incident_open,
    incident_reopen,
    note_add,
)
from tests.factories import MembershipFactory, UserFactory


def test_fire_liaison_sees_only_incidents_fire_is_on(demo, hazmat_and_crash):
    hazmat, crash = hazmat_and_crash
    liaison = demo.fire_liaison
    assert list(incidents_visible_to(liaison)) == [hazmat]
    assert can_view_incident(liaison, hazmat)
    assert not can_view_incident(liaison, crash)
    assert list(timeline_for(liaison, crash)) == []
    assert timeline_for(liaison, hazmat).count() == hazmat.timeline.count() > 0
    # The whole picture of its incidents (every agency's task), nothing of the others.
    assert set(assignments_visible_to(liaison)) == set(hazmat.assignments.all())


def test_an_agency_brought_in_later_starts_seeing_the_incident(demo, hazmat_and_crash):
    _hazmat, crash = hazmat_and_crash
    assert not can_view_incident(demo.environment_liaison, crash)
    assignment_add(incident=crash, by=demo.commander, agency=demo.agency("km-environment"), task="油品泄漏监测")
    assert can_view_incident(demo.environment_liaison, crash)


@pytest.mark.parametrize("username", ["commander", "dispatcher"])
def test_commanders_and_dispatchers_see_every_incident(demo, hazmat_and_crash, username):
    assert set(incidents_visible_to(demo.users[username])) == set(hazmat_and_crash)


def test_someone_with_no_role_sees_nothing(demo, hazmat_and_crash):
    stranger = UserFactory()
    assert list(incidents_visible_to(stranger)) == []
    assert list(assignments_visible_to(stranger)) == []


def test_a_member_who_leaves_the_agency_stops_seeing(demo, hazmat_and_crash):
    membership = Membership.objects.get(user=demo.fire_liaison, agency__code="km-fire")
    membership.is_active = False
    membership.save()
    assert list(incidents_visible_to(demo.fire_liaison.__class__.objects.get(pk=demo.fire_liaison.pk))) == []


def test_only_the_agency_acts_on_its_task(demo, hazmat_and_crash):
    hazmat, _crash = hazmat_and_crash
    fire_task = hazmat.assignments.get(agency__code="km-fire")
    for outsider in (demo.police_liaison, demo.commander, demo.dispatcher):
        with pytest.raises(PermissionDenied):
            assignment_accept(assignment=fire_task, by=outsider)
    fire_task.refresh_from_db()
    assert fire_task.status == AssignmentStatus.PENDING
    assert assignment_accept(assignment=fire_task, by=demo.fire_chief).status == AssignmentStatus.ACCEPTED


def test_only_commanders_contain_close_and_reopen(demo, hazmat_and_crash):
    hazmat, _crash = hazmat_and_crash
    for person in (demo.dispatcher, demo.fire_liaison, demo.fire_chief):
        with pytest.raises(PermissionDenied):
            incident_contain(incident=hazmat, by=person)
    incident_contain(incident=hazmat, by=demo.commander)
    incident_close(incident=hazmat, by=demo.commander)
    with pytest.raises(PermissionDenied):
        incident_reopen(incident=hazmat, by=demo.dispatcher)


def test_liaisons_cannot_open_incidents_or_bring_agencies_in(demo, hazmat_and_crash):
    hazmat, _crash = hazmat_and_crash
    with pytest.raises(PermissionDenied):
        incident_open(by=demo.fire_liaison, kind="other", severity=4, title="x")
    with pytest.raises(PermissionDenied):
        assignment_add(incident=hazmat, by=demo.fire_liaison, agency=demo.agency("km-fire"))


def test_notes_only_from_those_who_see_the_incident(demo, hazmat_and_crash):
    hazmat, crash = hazmat_and_crash
    note = note_add(incident=hazmat, by=demo.police_liaison, text="已封锁东侧路口")
    assert note in timeline_for(demo.fire_liaison, hazmat)
    before = TimelineEntry.objects.count()
    with pytest.raises(PermissionDenied):
        note_add(incident=crash, by=demo.environment_liaison, text="偷看")
    assert TimelineEntry.objects.count() == before


def test_bringing_an_agency_twice_is_refused(demo, hazmat_and_crash):
    hazmat, _crash = hazmat_and_crash
    with pytest.raises(TransitionError):
        assignment_add(incident=hazmat, by=demo.dispatcher, agency=demo.agency("km-fire"))
    assert hazmat.assignments.filter(agency__code="km-fire").count() == 1


def test_rosters_are_visible_to_the_agency_itself_and_admins_only(demo):
    fire, police = demo.agency("km-fire"), demo.agency("km-police")
    assert set(roster_for(user=demo.fire_liaison, agency=fire).values_list("user__username", flat=True)) == {
        "fire_liaison",
        "fire_chief",
    }
    assert list(roster_for(user=demo.fire_liaison, agency=police)) == []
    assert list(agencies_with_roster_visible_to(demo.police_chief)) == [police]
    for outsider in (demo.commander, demo.dispatcher):
        assert list(roster_for(user=outsider, agency=fire)) == []
    assert roster_for(user=demo.admin, agency=police).count() == 2


def test_listing_incidents_takes_the_same_queries_for_5_or_500(demo, open_many, django_assert_max_num_queries):
    def listed(user):
        fresh = user.__class__.objects.get(pk=user.pk)  # no permission cache carried over
        with django_assert_max_num_queries(6):
            return [
                (incident.reference, [a.agency.code for a in incident.assignments.all()])
                for incident in incident_list(fresh)
            ]

    people = (demo.fire_liaison, demo.medical_chief, demo.commander)
    open_many(5)
    assert [len(listed(user)) for user in people] == [5, 5, 5]
    open_many(495)
    for user in people:
        rows = listed(user)
        assert len(rows) == 500
        assert all(codes == ["km-fire", "km-medical"] for _ref, codes in rows)
    assert listed(demo.police_liaison) == []


def test_active_incidents_leave_out_closed_ones(demo, hazmat_and_crash):
    hazmat, crash = hazmat_and_crash
    incident_contain(incident=crash, by=demo.commander)
    incident_close(incident=crash, by=demo.commander)
    assert list(active_incidents(demo.commander)) == [hazmat]
    assert Assignment.objects.filter(incident=crash, status=AssignmentStatus.CANCELLED).count() == 2


def test_a_new_member_sees_their_agencys_incidents(demo, hazmat_and_crash):
    hazmat, _crash = hazmat_and_crash
    newcomer = MembershipFactory(agency=demo.agency("km-fire")).user
    assert list(incidents_visible_to(newcomer)) == [hazmat]
