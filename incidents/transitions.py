"""Every state machine in Linkage, as data: which moves there are, who may make each, what it stamps.

One `Machine` per model with a status: a table of `Move`s. A move names the action people use (the
page's URL, the API's `@action`), the states it leaves from, the state it reaches, the permission it
needs and the time field it stamps. Everything else asks this module:

- the services call `guard(obj, target, user)` under the row lock before they write: it raises
  `PermissionDenied` (one message per permission, `refusal`) or `TransitionError` (one message);
- pages, template tags and the API call `available_moves(obj, user)`: exactly the moves that `guard`
  would let through now, so a button is shown exactly when its move would succeed;
- `require(user, perm)` is the one role check for what is not a move (opening an incident, changing
  its facts, bringing in an agency, the intake and board pages).

Adding a state machine (units and deployments, DESIGN "Forces") is adding a `Machine` below with its
moves, registering it in `MACHINES`, and one service per move that calls `guard` — nothing else here
changes. A move made by the system on someone's behalf (closing an incident cancels its open tasks)
passes `cascade=True`: the state table still holds, the actor's permission and the parent's open-ness
do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import TransitionError
from .models import (
    NOTE_INCIDENT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Incident,
    IncidentStatus,
)

A = AssignmentStatus
I = IncidentStatus  # noqa: E741

# The permissions moves need. Model-level ones come with a role (roles.py); the object one is held by
# the agency's group on each of its own tasks (permissions.py).
DISPATCH = "incidents.dispatch_incident"  # dispatchers and commanders
COMMAND = "incidents.command_incident"  # commanders
ACT_ON_ASSIGNMENT = "incidents.act_on_assignment"  # the members of the task's agency (object permission)
OBJECT_PERMISSIONS = frozenset({ACT_ON_ASSIGNMENT})

# What someone without the permission is told: one sentence per permission, everywhere (pages, API).
REFUSALS: dict[str, Promise] = {
    DISPATCH: gettext_lazy("Only dispatchers and commanders may do this."),
    COMMAND: gettext_lazy("Only commanders may do this."),
    ACT_ON_ASSIGNMENT: gettext_lazy("Only members of the task's agency may do this."),
}


def refusal(perm: str) -> str:
    """The sentence someone without `perm` is told."""
    return str(REFUSALS.get(perm, gettext_lazy("You may not do this.")))


def may(user: AbstractBaseUser | None, perm: str, obj=None) -> bool:
    """Whether `user` holds `perm` (on `obj` for an object permission). None is the system: always."""
    if user is None:
        return True
    if not user.is_authenticated:
        return False
    return user.has_perm(perm, obj if perm in OBJECT_PERMISSIONS else None)


def require(user: AbstractBaseUser | None, perm: str, obj=None) -> None:
    """Raise PermissionDenied(refusal(perm)) unless `user` holds `perm`; None (the system) passes."""
    if not may(user, perm, obj):
        raise PermissionDenied(refusal(perm))


@dataclass(frozen=True)
class Move:
    """One allowed move: `action` from any of `sources` to `target`, by holders of `perm`, stamping `stamp`.

    `action` is the verb pages and the API use (`/incidents/{id}/contain/`, `POST .../progress/`);
    within one state each action leads to at most one target, so (state, action) picks the move.
    """

    action: str
    sources: frozenset[str]
    target: str
    perm: str
    stamp: str
    label: Promise

    @property
    def target_label(self) -> str:
        return str(self.target.label) if isinstance(self.target, models.Choices) else self.target


@dataclass(frozen=True)
class Machine:
    """One state machine: the model it moves, its status choices and its moves.

    `parent_open` names the attribute (None: no such rule) whose `is_open` must hold for any
    move by a person: a task on a closed or cancelled incident no longer moves.
    """

    name: Promise
    model: type[models.Model]
    statuses: type[models.TextChoices]
    moves: tuple[Move, ...]
    parent_open: str | None = None

    def moves_from(self, current: str) -> list[Move]:
        return [move for move in self.moves if current in move.sources]

    def move(self, current: str, target: str) -> Move | None:
        return next((move for move in self.moves_from(current) if move.target == target), None)

    def table(self) -> dict[str, set[str]]:
        """{state: {states it may become}}: the machine as DESIGN writes it."""
        return {state: {move.target for move in self.moves_from(state)} for state in self.statuses.values}

    def stamps(self) -> dict[str, str]:
        """{target state: the time field it stamps}."""
        return {move.target: move.stamp for move in self.moves}


def _move(action, sources, target, perm, stamp, label) -> Move:
    return Move(action=action, sources=frozenset(sources), target=target, perm=perm, stamp=stamp, label=label)


INCIDENT = Machine(
    name=gettext_lazy("The incident"),
    model=Incident,
    statuses=IncidentStatus,
    moves=(
        _move("contain", [I.ACTIVE], I.CONTAINED, COMMAND, "contained_at", gettext_lazy("Contain")),
        _move("close", [I.CONTAINED], I.CLOSED, COMMAND, "closed_at", gettext_lazy("Close")),
        _move(
            "cancel",
            [I.ACTIVE, I.CONTAINED],
            I.CANCELLED,
            DISPATCH,
            "cancelled_at",
            gettext_lazy("Cancel the incident"),
        ),
        _move("reopen", [I.CLOSED], I.ACTIVE, COMMAND, "reopened_at", gettext_lazy("Reopen")),
    ),
)

ASSIGNMENT = Machine(
    name=gettext_lazy("The task"),
    model=Assignment,
    statuses=AssignmentStatus,
    parent_open="incident",
    moves=(
        _move("accept", [A.PENDING], A.ACCEPTED, ACT_ON_ASSIGNMENT, "accepted_at", gettext_lazy("Accept")),
        _move("decline", [A.PENDING], A.DECLINED, ACT_ON_ASSIGNMENT, "declined_at", gettext_lazy("Decline")),
        _move("progress", [A.ACCEPTED], A.EN_ROUTE, ACT_ON_ASSIGNMENT, "en_route_at", gettext_lazy("En route")),
        _move("progress", [A.EN_ROUTE], A.ON_SCENE, ACT_ON_ASSIGNMENT, "on_scene_at", gettext_lazy("On scene")),
        _move("progress", [A.ON_SCENE], A.COMPLETED, ACT_ON_ASSIGNMENT, "completed_at", gettext_lazy("Completed")),
        # Taking an agency off the incident.
        _move(
            "cancel",
            [A.PENDING, A.ACCEPTED, A.EN_ROUTE, A.ON_SCENE],
            A.CANCELLED,
            DISPATCH,
            "cancelled_at",
            gettext_lazy("Take the agency off"),
        ),
    ),
)

MACHINES: dict[type[models.Model], Machine] = {Incident: INCIDENT, Assignment: ASSIGNMENT}

# The statuses a liaison reports through `assignment_progress`.
PROGRESS_STATUSES = tuple(move.target for move in ASSIGNMENT.moves if move.action == "progress")


def machine_for(obj) -> Machine:
    return MACHINES[type(obj)]


def state_word(label) -> str:
    """A status label (a choice label, lazy or not) as a word inside a sentence: lower case in English
    ("closed", "en route"); Chinese has no case, so it reads as the label."""
    return str(label).lower()


def _labels(machine: Machine) -> dict[str, str]:
    return {value: state_word(label) for value, label in machine.statuses.choices}


def _parent_closed(machine: Machine, obj):
    """The parent (the task's incident) when it is no longer open, else None."""
    if machine.parent_open is None:
        return None
    parent = getattr(obj, machine.parent_open)
    return None if parent.is_open else parent


def guard(obj, target: str, user: AbstractBaseUser | None, *, cascade: bool = False) -> Move:
    """The move taking `obj` (a model with a machine, as locked by the caller) to `target`, if `user` may
    make it now. `user` None is the system (the escalation sweep, an import): no permission needed.

    Raises PermissionDenied (`refusal(perm)`) when the user lacks the move's permission, else
    TransitionError ("The task is accepted and cannot become declined."; "The task is already
    cancelled." for the same move again) when the table has no such move from the current state, or
    a person's move on a task whose incident is no longer open.
    With `cascade` (a move the system makes as part of another, e.g. closing cancels the open
    tasks) only the state table applies."""
    machine = machine_for(obj)
    current = obj.status
    move = machine.move(current, target)
    if not cascade:
        # The permission of the move asked for (or of any move to that target, for the message).
        perm = move.perm if move else next((m.perm for m in machine.moves if m.target == target), None)
        if perm is not None:
            require(user, perm, obj)
    parent = None if cascade or user is None else _parent_closed(machine, obj)
    if move is None or parent is not None:
        labels = _labels(machine)
        values = {"what": machine.name, "current": labels.get(current, current), "target": labels.get(target, target)}
        if current == target:  # the same move again (a double click, a retried request)
            message = _("%(what)s is already %(target)s.")
        elif parent is not None:
            message = _("%(what)s is on a %(status)s incident and cannot become %(target)s.")
            values["status"] = state_word(parent.get_status_display())
        else:
            message = _("%(what)s is %(current)s and cannot become %(target)s.")
        raise TransitionError(message % values, current=current, target=target)
    return move


def available_moves(obj, user: AbstractBaseUser | None, *, may_act: bool | None = None) -> list[Move]:
    """Exactly the moves of `obj` that `guard` would let `user` make now: its state, the user's
    permission, and for a task its incident being open. In the machine's order.

    `may_act`, when given, stands for the user's object permission on `obj` (a page that checked
    a whole list in one query, `selectors.assignment_ids_actable_by`); otherwise it is asked here."""
    machine = machine_for(obj)
    if _parent_closed(machine, obj) is not None and user is not None:
        return []
    found = []
    for move in machine.moves_from(obj.status):
        if move.perm in OBJECT_PERMISSIONS and may_act is not None and user is not None:
            allowed = may_act and user.is_authenticated
        else:
            allowed = may(user, move.perm, obj)
        if allowed:
            found.append(move)
    return found


def moves_by_action(obj, user: AbstractBaseUser | None, *, may_act: bool | None = None) -> dict[str, Move]:
    """`available_moves` keyed by action ("contain", "progress", …): at most one move per action."""
    return {move.action: move for move in available_moves(obj, user, may_act=may_act)}


# --- Notes -------------------------------------------------------------------------------------
# Not a move, but the same question ("may I write here now?"): anyone who may see the incident may
# post a note while it is active or contained, and after it is closed (the after-action record);
# a cancelled incident (opened in error) takes none.


def note_allowed(incident: Incident) -> bool:
    return incident.status in NOTE_INCIDENT_STATUSES


def guard_note(incident: Incident) -> None:
    """Raise TransitionError on an incident that takes no notes (a cancelled one)."""
    if not note_allowed(incident):
        raise TransitionError(
            _("A %(status)s incident takes no notes.") % {"status": state_word(incident.get_status_display())},
            current=incident.status,
        )


__all__ = [
    "ASSIGNMENT",
    "INCIDENT",
    "MACHINES",
    "OPEN_INCIDENT_STATUSES",
    "PROGRESS_STATUSES",
    "Machine",
    "Move",
    "available_moves",
    "guard",
    "guard_note",
    "may",
    "moves_by_action",
    "note_allowed",
    "refusal",
    "require",
    "state_word",
]
