"""Live pages in real Chromium against a real ASGI server (Daphne) and the Redis channel layer."""

import re

from incidents import services
from incidents.models import Incident
from tests.browser.conftest import session_for


def open_as(browser, server, user, path, **context_options):
    context = browser.new_context(locale="en-US", **context_options)
    session_for(context, server, user)
    page = context.new_page()
    page.goto(server.url + path)
    page.wait_for_selector("#live-status:not([hidden]):not(.offline)")  # the socket is open
    page.evaluate("window.__notReloaded = true")
    return page


def test_a_new_task_reaches_the_liaisons_dashboard_and_the_board_without_reload(browser, asgi_server, demo):
    fire = open_as(browser, asgi_server, demo.fire_liaison, "/dashboard/", viewport={"width": 390, "height": 844})
    board = open_as(browser, asgi_server, demo.commander, "/board/")
    dispatcher = browser.new_context(locale="en-US").new_page()
    session_for(dispatcher.context, asgi_server, demo.dispatcher)

    dispatcher.goto(asgi_server.url + "/incidents/new/?kind=hazmat")
    dispatcher.locator("label.sev-choice.sev-2").click()
    dispatcher.locator("#plan input[name=agencies]:checked").nth(4).wait_for()
    dispatcher.fill("#id_address", "官渡区化工园区")
    dispatcher.click("#dispatch")
    dispatcher.wait_for_url(re.compile(r"/incidents/\d+/$"))
    reference = Incident.objects.get().reference

    task = fire.locator(f"article.task:has-text('{reference}')")
    task.wait_for(timeout=5000)
    assert "Pending" in task.locator(".status").inner_text()
    board.locator(f"article.board-incident:has-text('{reference}')").wait_for(timeout=5000)

    # The liaison accepts on the dashboard: the board shows it, still without reload.
    task.locator("form[action$='/accept/'] button").click()
    chip = board.locator(f"article.board-incident:has-text('{reference}') li.chip:has-text('Fire')")
    chip.filter(has_text="Accepted").wait_for(timeout=5000)
    assert board.evaluate("window.__notReloaded") is True
    # The liaison's own page reloaded after the accept (a form post) and is live again.
    fire.wait_for_selector("#live-status:not([hidden]):not(.offline)", timeout=5000)


def test_a_page_that_lost_its_server_catches_up_when_it_returns(browser, asgi_server, demo):
    incident = services.incident_open(by=demo.dispatcher, kind="building_fire", severity=4, title="居民楼起火")
    page = open_as(browser, asgi_server, demo.fire_liaison, f"/incidents/{incident.pk}/")

    asgi_server.stop()
    page.wait_for_selector("#live-status.offline")
    # While the page is not listening, the medical liaison posts a note (the event goes nowhere).
    services.note_add(incident=incident, by=demo.medical_liaison, text="伤员已转运至省一院")
    asgi_server.start()

    page.locator("#incident-timeline li:has-text('伤员已转运至省一院')").wait_for(timeout=20000)
    assert page.evaluate("window.__notReloaded") is True
    page.wait_for_selector("#live-status:not(.offline)")
