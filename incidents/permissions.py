"""Granting agencies their object permissions on an incident and their tasks.

Straight inserts into guardian's direct-foreign-key tables (ignoring rows that already exist): the
same rows `guardian.shortcuts.assign_perm` writes, in three queries however many agencies an
incident brings in, rather than several per grant.
"""

from django.contrib.auth.models import Permission

from .models import Assignment, AssignmentGroupObjectPermission, IncidentGroupObjectPermission


def grant_agency_access(assignments: list[Assignment]) -> None:
    """Each task's agency sees its incident's whole picture and acts on its own task."""
    if not assignments:
        return
    perms = {
        perm.codename: perm
        for perm in Permission.objects.filter(
            content_type__app_label="incidents", codename__in=["view_incident", "act_on_assignment"]
        )
    }
    IncidentGroupObjectPermission.objects.bulk_create(
        [
            IncidentGroupObjectPermission(
                group_id=a.agency.group_id, permission=perms["view_incident"], content_object_id=a.incident_id
            )
            for a in assignments
        ],
        ignore_conflicts=True,
    )
    AssignmentGroupObjectPermission.objects.bulk_create(
        [
            AssignmentGroupObjectPermission(
                group_id=a.agency.group_id, permission=perms["act_on_assignment"], content_object_id=a.pk
            )
            for a in assignments
        ],
        ignore_conflicts=True,
    )
