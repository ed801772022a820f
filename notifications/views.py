from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .selectors import inbox_of


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/inbox.html", {"notifications": list(inbox_of(request.user)[:100])})


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go where it points."""
    notification = get_object_or_404(inbox_of(request.user), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(link)
    return redirect("notifications")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    inbox_of(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")
