"""A decline reaches the dispatcher within a second, in real Chromium against Daphne and Redis: the
board and the incident page show it (red, the word, the reason) without a reload, and a notification
toast says who declined and why. Screenshots of the board and the incident page of a drill with a
declined task, in Chinese, go to test-artifacts/screenshots/."""

import threading
import time

from incidents import services
from notifications.models import Notification
from notifications.tasks import deliver_now
from tests.browser.conftest import session_for

REASON = "两辆救护车均在转运途中"


def _decline_and_deliver(task_id: int, liaison_id: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from incidents.models import Assignment

    try:
        task = Assignment.objects.get(pk=task_id)
        services.assignment_decline(assignment=task, by=get_user_model().objects.get(pk=liaison_id), reason=REASON)
        # The in-app notices, delivered as the worker would (no worker runs in this test).
        for row in Notification.objects.filter(cause=f"assignment:{task_id}:declined", channel="in_app"):
            deliver_now(row.pk)
    finally:
        connection.close()


def _page(context, server, path):
    page = context.new_page()
    page.goto(server.url + path)
    page.wait_for_selector("#live-status:not([hidden]):not(.offline)")
    # The toasts come over the notification socket, a second one: a notice sent before it opens is in
    # the inbox, not a toast.
    page.wait_for_selector("body[data-notify-live]", state="attached")
    page.evaluate("window.__notReloaded = true")
    return page


def test_a_dispatcher_sees_a_decline_live_within_a_second_with_its_reason_and_a_toast(
    browser, asgi_server, demo, screenshots
):
    real = services.incident_open(by=demo.dispatcher, kind="building_fire", severity=3, title="居民楼厨房起火")
    drill = services.incident_open(
        by=demo.dispatcher,
        kind="hazmat",
        severity=2,
        title="化工园区氯气泄漏演练",
        address="官渡区化工园区",
        exercise=True,
    )
    services.assignment_accept(assignment=drill.assignments.get(agency__code="km-fire"), by=demo.fire_liaison)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    session_for(context, asgi_server, demo.dispatcher)
    board = _page(context, asgi_server, "/board/")
    incident = _page(context, asgi_server, f"/incidents/{drill.pk}/")
    errors = []
    board.on("pageerror", lambda error: errors.append(str(error)))

    task = drill.assignments.get(agency__code="km-medical")
    started = time.monotonic()
    # In a thread of its own, as a request would be (Playwright's event loop runs in this one).
    declining = threading.Thread(target=_decline_and_deliver, args=(task.pk, demo.medical_liaison.pk))
    declining.start()
    declining.join(timeout=5)
    chip = board.locator(f"#assignment-{task.pk}.chip.st-declined")
    chip.filter(has_text=REASON).wait_for(timeout=1000)
    incident.locator(f"#assignment-{task.pk}.task.st-declined .decline-reason").filter(has_text=REASON).wait_for(
        timeout=1000
    )
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"the decline took {elapsed:.2f} s to show"
    for page in (board, incident):
        toast = page.locator("#toasts .toast").filter(has_text=REASON)
        toast.wait_for(timeout=2000)
        assert toast.inner_text().startswith("【演练】")  # a drill's notice says so
        assert "toast-declined" in toast.get_attribute("class") and toast.get_attribute("role") == "alert"
        assert page.evaluate("window.__notReloaded") is True
    assert "已拒绝" in chip.inner_text() and chip.locator("svg.icon-declined").count() == 1
    # Louder than an accepted task: a solid colour, not faded.
    declined_style = chip.evaluate("e => [getComputedStyle(e).opacity, getComputedStyle(e).backgroundColor]")
    assert declined_style == ["1", "rgb(179, 38, 30)"]
    # The declined agency's people stay in "on duty now", marked as the ones to call.
    medical = demo.medical_liaison.memberships.get()
    incident.locator("li.declined-contact").filter(has_text=medical.phone).first.wait_for(timeout=1000)
    assert board.locator(".declined-badge").inner_text().strip().startswith("1")
    assert board.locator(f"article:has-text('{drill.reference}') .drill-band").is_visible()
    assert board.locator(f"article:has-text('{real.reference}') .drill-band").count() == 0
    assert incident.locator(".exercise-banner").is_visible()
    assert errors == []

    board.screenshot(path=str(screenshots / "board-decline-drill-zh.png"), full_page=True)
    incident.screenshot(path=str(screenshots / "incident-decline-drill-zh.png"), full_page=True)
    # Cancelling is a second step with a required reason.
    incident.locator("#incident-head details.confirm summary").click()
    assert incident.locator("#cancel-reason").get_attribute("required") is not None
    incident.locator("#incident-head").screenshot(path=str(screenshots / "incident-cancel-confirm-zh.png"))
    context.close()
