"""An agency's roster page: members, roles, phones and shifts — who is on duty now and who is next."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .models import MemberRole
from .selectors import agencies_with_roster_visible_to, roster_for


@login_required
@require_GET
def roster(request: HttpRequest, code: str) -> HttpResponse:
    """Readable by the agency's own members and by roster admins; to everyone else it does not exist."""
    agency = get_object_or_404(agencies_with_roster_visible_to(request.user), code=code)
    now = timezone.now()
    rows = []
    for membership in roster_for(user=request.user, agency=agency):
        shifts = sorted(membership.shifts.all(), key=lambda shift: shift.starts_at)
        current = next((s for s in shifts if s.starts_at <= now < s.ends_at), None)
        upcoming = next((s for s in shifts if s.starts_at > now), None)
        rows.append({"membership": membership, "current": current, "next": upcoming})
    active = [row for row in rows if row["membership"].is_active]
    on_duty = [row for row in active if row["current"]]
    # Next on duty: whoever's shift starts soonest after the current ones end.
    starts = [row["next"].starts_at for row in active if row["next"]]
    next_on_duty = [row for row in active if row["next"] and row["next"].starts_at == min(starts)] if starts else []
    # Escalation's first level is the duty chief: an agency without one has its tasks passed over it.
    roles = {row["membership"].role for row in active if row["membership"].user.is_active}
    return render(
        request,
        "agencies/roster.html",
        {
            "agency": agency,
            "rows": rows,
            "on_duty": on_duty,
            "next_on_duty": next_on_duty,
            "now": now,
            "no_chief": MemberRole.CHIEF not in roles,
            "no_liaison": MemberRole.LIAISON not in roles,
        },
    )
