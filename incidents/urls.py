from django.urls import path, re_path

from . import views
from .transitions import ASSIGNMENT, INCIDENT


def _actions(machine) -> str:
    """The machine's actions as a URL alternation: the URL admits exactly the moves there are."""
    return "|".join(sorted({move.action for move in machine.moves}))


urlpatterns = [
    path("incidents/", views.incident_index, name="incident-index"),
    path("incidents/new/", views.incident_new, name="incident-new"),
    path("incidents/new/plan/", views.incident_plan_preview, name="incident-plan-preview"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-page"),
    path("incidents/<int:pk>/notes/", views.incident_note, name="incident-note"),
    path("incidents/<int:pk>/severity/", views.incident_severity, name="incident-severity"),
    path("incidents/<int:pk>/assignments/", views.incident_add_agency, name="incident-add-agency"),
    re_path(
        rf"^incidents/(?P<pk>[0-9]+)/(?P<action>{_actions(INCIDENT)})/$",
        views.incident_transition,
        name="incident-transition",
    ),
    re_path(
        rf"^assignments/(?P<pk>[0-9]+)/(?P<action>{_actions(ASSIGNMENT)})/$",
        views.assignment_transition,
        name="assignment-transition",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("board/", views.board, name="board"),
]
