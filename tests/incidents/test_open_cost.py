"""What opening an incident costs the database (issue 13): a fixed number of queries, whatever the
number of agencies, and no redundant ones."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from incidents.services import incident_open

# Five configuration reads (agencies, plan, steps, escalation policy, its steps); the incident insert
# and its reference; the timeline inserts; the tasks; the grants (permission ids, two inserts); the
# live events' addressing after commit. Was 19 before issue 13 (a publish query before the tasks
# existed, and a savepoint around the tasks of a brand-new incident).
OPEN_QUERIES = 16


def test_opening_a_hazmat_incident_with_five_agencies_costs_a_fixed_number_of_queries(
    demo, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="预热")  # lazy one-time look-ups
    with django_assert_max_num_queries(OPEN_QUERIES), django_capture_on_commit_callbacks(execute=True):
        incident = incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏")
    assert incident.assignments.count() == 5
    assert Incident.objects.get(pk=incident.pk).reference == incident.reference


def test_a_new_incidents_tasks_are_inserted_without_a_savepoint(demo, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as captured:
        incident_open(by=demo.dispatcher, kind="hazmat", severity=3, title="氯气泄漏")
    savepoints = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) <= 1  # the test's own transaction makes incident_open's atomic one
