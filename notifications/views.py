from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .selectors import inbox_of
from .services import mark_read


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/inbox.html", {"notifications": list(inbox_of(request.user)[:100])})


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go where it points."""
    notification = get_object_or_404(inbox_of(request.user), pk=pk)
    mark_read(inbox_of(request.user).filter(pk=notification.pk))
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(link)
    return redirect("notifications")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    mark_read(inbox_of(request.user))
    return redirect("notifications")
