"""A region someone is using is held, and only that region (static/linkage/socket.js, docs/live.md):
in real Chromium against Daphne and Redis, the browser's own requests are counted. A held region is
not fetched while held and refreshes once when released, however many events came; an open confirm
box in one board card holds that card only — new incidents still appear, and the box and its typed
reason survive."""

import time

from incidents import services
from tests.browser.conftest import session_for
from tests.browser.test_regions import _in_thread, _open, _settle


def _fetches(requests, region: str) -> int:
    return sum(1 for url in requests.seen if f"region={region}" in url)


def test_an_open_box_on_a_card_holds_that_card_only(browser, asgi_server, demo, fire_incident):
    context = browser.new_context(locale="en-US")
    session_for(context, asgi_server, demo.dispatcher)
    board, on_board = _open(context, asgi_server, "/board/")
    card = board.locator(f"#board-incident-{fire_incident.pk}")
    card.locator("details.confirm summary", has_text="Cancel incident").click()
    reason = board.locator(f"#cancel-reason-{fire_incident.pk}")
    reason.fill("疑似误报")  # typed, and the field keeps the focus

    def open_three():
        for title in ("新事件一", "新事件二", "新事件三"):
            services.incident_open(by=demo.dispatcher, kind="traffic_accident", severity=4, title=title)

    _in_thread(open_three)
    started = time.monotonic()
    for title in ("新事件一", "新事件二", "新事件三"):
        board.locator(f"#board-body article:has-text('{title}')").wait_for(timeout=3000)
    assert time.monotonic() - started < 3
    # The card in use is the same element: its box is open, its text typed, its field focused.
    assert card.locator("details.confirm[open]").count() == 1
    assert reason.input_value() == "疑似误报"
    assert board.evaluate("document.activeElement.id") == f"cancel-reason-{fire_incident.pk}"
    assert board.locator(f"#board-incident-{fire_incident.pk}").count() == 1
    assert board.evaluate("window.__notReloaded") is True

    # An event for the held card itself is not fetched while held, and once when released.
    on_board.clear()
    task = fire_incident.assignments.get(agency__code="km-fire")
    _in_thread(services.assignment_accept, assignment=task, by=demo.fire_liaison)
    _settle(board, 1.5)
    assert _fetches(on_board, "board-incident") == 0, on_board.seen
    assert reason.input_value() == "疑似误报"
    card.locator("details.confirm summary", has_text="Cancel incident").click()  # closed: done
    board.locator(f"#assignment-{task.pk}.chip.st-accepted").wait_for(timeout=3000)
    _settle(board)
    assert _fetches(on_board, "board-incident") == 1, on_board.seen
    context.close()


def test_events_while_a_dashboard_box_is_open_make_one_fetch_after_it_closes(
    browser, asgi_server, demo, fire_incident
):
    context = browser.new_context(locale="en-US")
    session_for(context, asgi_server, demo.fire_liaison)
    dashboard, on_dashboard = _open(context, asgi_server, "/dashboard/")
    dashboard.locator("#dashboard-tasks details.decline summary").first.click()

    def five_notes():
        for number in range(5):
            services.incident_update(incident=fire_incident, by=demo.dispatcher, title=f"居民楼厨房起火（{number}）")

    _in_thread(five_notes)
    time.sleep(4)  # the old retry chain fetched several times a second here
    assert _fetches(on_dashboard, "dashboard-tasks") <= 1, on_dashboard.seen
    on_dashboard.clear()

    dashboard.locator("#dashboard-tasks details.decline summary").first.click()  # closed
    dashboard.locator("#dashboard-tasks:has-text('居民楼厨房起火（4）')").wait_for(timeout=3000)
    _settle(dashboard, 2)
    assert _fetches(on_dashboard, "dashboard-tasks") == 1, on_dashboard.seen
    assert dashboard.evaluate("window.__notReloaded") is True
    context.close()
