"""One hazmat incident worked by four roles in real Chromium, in Chinese and in English.

The dispatcher opens it from the keyboard, the fire liaison accepts on a phone-sized screen and
reports on scene, the environment liaison declines with a reason, and the commander's board shows
those states. Each role's page is saved as a screenshot under test-artifacts/screenshots/.
"""

import re

import pytest
from django.utils import translation

from incidents.models import AssignmentStatus, Incident
from tests.browser.conftest import session_for

PASSWORD = "linkage-demo"


def log_in(browser, server, user, locale, **context):
    """Signed in with a session made here (the login form has its own tests), landing on `/`."""
    context = browser.new_context(locale=locale, **context)
    session_for(context, server, user)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/")
    if page.get_attribute("body", "data-live"):
        page.wait_for_selector("#live-status:not([hidden]):not(.offline)")
    page.js_errors = errors
    return page


def labels(language):
    with translation.override(language):
        return {status: str(status.label) for status in AssignmentStatus}


@pytest.mark.parametrize(("locale", "language"), [("zh-CN", "zh-hans"), ("en-US", "en")])
def test_hazmat_incident_worked_by_four_roles(browser, asgi_server, demo, screenshots, locale, language):
    base = asgi_server.url
    status = labels(language)
    if language == "zh-hans":
        assert status["on_scene"] != "On scene", "the Chinese catalog is not compiled"

    # Dispatcher: N, kind, severity, address, what happened, Dispatch — six interactions.
    dispatcher = log_in(browser, asgi_server, demo.dispatcher, locale, viewport={"width": 1366, "height": 900})
    dispatcher.keyboard.press("n")
    dispatcher.wait_for_url(f"{base}/incidents/new/")
    dispatcher.select_option("#id_kind", "hazmat")
    dispatcher.locator("label.sev-choice.sev-2").click()
    dispatcher.fill("#id_address", "官渡区化工园区 3 号罐区")
    dispatcher.fill("#id_description", "储罐泄漏，有刺激性气味，2 人不适")
    plan = dispatcher.locator("#plan input[name=agencies]:checked")
    plan.nth(4).wait_for()  # the plan for hazmat at level II: five agencies, all checked
    assert plan.count() == 5
    dispatcher.screenshot(path=screenshots / f"{language}-1-dispatcher-intake.png", full_page=True)
    dispatcher.click("#dispatch")
    dispatcher.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert incident.assignments.count() == 5
    assert incident.reference in dispatcher.inner_text("h1 + dl, .incident-head")

    # Fire liaison, on a phone: accept in one tap, then en route, then on scene.
    fire = log_in(
        browser, asgi_server, demo.fire_liaison, locale, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    task = fire.locator(f"article.task:has-text('{incident.reference}')")
    assert task.locator("time.countdown").inner_text()  # ticking
    task.locator("form[action$='/accept/'] button").click()
    fire.wait_for_load_state()
    for _step in ("en_route", "on_scene"):
        task.locator("form[action$='/progress/'] button").click()
        fire.wait_for_load_state()
    assert status["on_scene"] in task.locator(".status").inner_text()
    fire.screenshot(path=screenshots / f"{language}-2-fire-liaison-dashboard.png", full_page=True)

    # Environment liaison: decline, with a reason.
    environment = log_in(
        browser, asgi_server, demo.environment_liaison, locale, viewport={"width": 1024, "height": 800}
    )
    task = environment.locator(f"article.task:has-text('{incident.reference}')")
    task.locator("details.decline summary").click()
    task.locator("input[name=reason]").fill("监测车辆检修中，请调派区分局")
    task.locator("details.decline button[type=submit]").click()
    environment.wait_for_load_state()
    assert (
        status["declined"] in environment.locator(f"article.task:has-text('{incident.reference}') .status").inner_text()
    )
    environment.goto(f"{base}/incidents/{incident.pk}/")
    assert "监测车辆检修中，请调派区分局" in environment.inner_text("ol.timeline")
    environment.screenshot(path=screenshots / f"{language}-3-environment-incident.png", full_page=True)

    # Commander's board: every agency's state, as the liaisons left them.
    commander = log_in(browser, asgi_server, demo.commander, locale, viewport={"width": 1920, "height": 1080})
    assert commander.url == f"{base}/board/"
    card = commander.locator(f"article.board-incident:has-text('{incident.reference}')")
    chips = {
        code: card.locator("li.chip").nth(index).inner_text()
        for index, code in enumerate(
            incident.assignments.order_by("created_at", "id").values_list("agency__code", flat=True)
        )
    }
    assert status["on_scene"] in chips["km-fire"]
    assert status["declined"] in chips["km-environment"]
    assert status["pending"] in chips["km-police"]
    assert commander.locator("#board-map .leaflet-interactive").count() == 0  # no coordinates given, no marker
    commander.screenshot(path=screenshots / f"{language}-4-commander-board.png", full_page=True)

    for page in (dispatcher, fire, environment, commander):
        assert page.js_errors == []
