from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from agencies.selectors import agency_memberships_of
from incidents.roles import is_commander, is_dispatcher


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each person to their page: commanders to the board, agency members to their dashboard,
    dispatchers to the incident list (with "New incident"), admins to the admin. Anyone else is told
    what they are missing."""
    user = request.user
    memberships = list(agency_memberships_of(user))
    if is_commander(user):
        return redirect("board")
    if memberships:
        return redirect("dashboard")
    if is_dispatcher(user):
        return redirect("incident-index")
    if user.is_staff:
        return redirect("admin:index")
    return render(request, "linkage/home.html", {"memberships": memberships})


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else (also the benchmarks' baseline)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: the database answers (and Redis, in the services mode)."""
    from django.conf import settings

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "mode": settings.LINKAGE_MODE, **checks},
        status=200 if healthy else 503,
    )


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """API callers get JSON for a URL that matches nothing, like every other API error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)
