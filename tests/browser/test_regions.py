"""A live event refreshes only the regions it changes, in real Chromium against Daphne and Redis: the
browser's own requests are counted — a note fetches the incident page's timeline region (not the
page, not its other regions) and nothing on the board; an accept fetches that incident's card on the
board, its counts and medians, not the page; after the server was away the board catches up through its regions."""

import threading
import time

from incidents import services
from tests.browser.conftest import session_for


def _in_thread(action, *args, **kwargs) -> None:
    """Run a service as a request would, in a thread of its own (Playwright's event loop is in this one)."""
    from django.db import connection

    failed = []

    def run():
        try:
            action(*args, **kwargs)
        except Exception as error:  # raised again in the test's thread
            failed.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=10)
    if failed:
        raise failed[0]


class Requests:
    """The page's requests to the server after `clear()`: paths with their query."""

    def __init__(self, page, server):
        self.server = server
        self.seen: list[str] = []
        self.recounts = 0
        page.on("request", self._saw)

    def _saw(self, request) -> None:
        if request.headers.get("x-linkage-recount"):  # the notification count, once per reconnect
            self.recounts += 1
        else:
            self.seen.append(request.url.removeprefix(self.server.url))

    def clear(self) -> None:
        self.seen.clear()

    def regions(self) -> set[str]:
        return {url.split("region=", 1)[1].split("&")[0] for url in self.seen if "region=" in url}

    def pages(self) -> list[str]:
        return [url for url in self.seen if "region=" not in url and not url.startswith("/static/")]


def _open(context, server, path):
    page = context.new_page()
    requests = Requests(page, server)
    page.goto(server.url + path)
    page.wait_for_selector("#live-status:not([hidden]):not(.offline)")  # the socket is open
    page.wait_for_load_state("networkidle")  # the first catch-up, if any, is done
    page.evaluate("window.__notReloaded = true")
    requests.clear()
    return page, requests


def _settle(page, seconds: float = 0.8) -> None:
    """Long enough for a burst's 150 ms wait and the region's fetch to have happened."""
    time.sleep(seconds)
    page.wait_for_load_state("networkidle")


def test_a_note_refreshes_the_timeline_region_only(browser, asgi_server, demo, fire_incident):
    context = browser.new_context(locale="en-US")
    session_for(context, asgi_server, demo.dispatcher)
    incident, on_incident = _open(context, asgi_server, f"/incidents/{fire_incident.pk}/")
    board, on_board = _open(context, asgi_server, "/board/")

    _in_thread(services.note_add, incident=fire_incident, by=demo.fire_liaison, text="二楼已搜索完毕")
    incident.locator("#incident-timeline li:has-text('二楼已搜索完毕')").wait_for(timeout=5000)
    _settle(incident)

    assert on_incident.regions() == {"incident-timeline"}
    assert on_incident.pages() == []  # the page itself was not fetched again
    assert on_board.seen == []  # the board shows no notes: it fetched nothing
    assert incident.evaluate("window.__notReloaded") is True

    # An accept changes the task and what the board shows, not the map's markers.
    on_incident.clear()
    task = fire_incident.assignments.get(agency__code="km-fire")
    _in_thread(services.assignment_accept, assignment=task, by=demo.fire_liaison)
    board.locator(f"#assignment-{task.pk}.chip.st-accepted").wait_for(timeout=5000)
    incident.locator(f"#assignment-{task.pk}.task.st-accepted").wait_for(timeout=5000)
    _settle(board)
    assert on_board.regions() == {"board-incident", "board-counts", "board-kpis"}  # its card, not the list
    assert on_board.pages() == []
    # An accept leaves the open-task count and who is on duty as they were: tasks and timeline only.
    assert on_incident.regions() == {"incident-agencies", "incident-timeline"}
    assert on_incident.pages() == []
    # One fetch per region for the event, not one per client-side guess.
    assert sorted(url.split("region=")[1] for url in on_board.seen if "region=" in url) == [
        "board-counts",
        f"board-incident&incident={fire_incident.pk}",
        "board-kpis",
    ]
    assert board.evaluate("window.__notReloaded") is True

    # Taking an agency off closes its task: now the open-task count and who is on duty change too.
    on_incident.clear()
    medical = fire_incident.assignments.get(agency__code="km-medical")
    _in_thread(services.assignment_cancel, assignment=medical, by=demo.dispatcher, reason="重复派单")
    incident.locator(f"#assignment-{medical.pk}.task.st-cancelled").wait_for(timeout=5000)
    _settle(incident)
    assert on_incident.regions() == {"incident-head", "incident-agencies", "incident-duty", "incident-timeline"}
    assert incident.evaluate("window.__notReloaded") is True
    context.close()


def test_a_burst_of_events_is_one_fetch_per_region(browser, asgi_server, demo, fire_incident):
    context = browser.new_context(locale="en-US")
    session_for(context, asgi_server, demo.commander)
    board, on_board = _open(context, asgi_server, "/board/")

    # Three agencies brought in at once: three events within a few milliseconds.
    def bring_in():
        for code in ("km-police", "km-traffic", "km-environment"):
            services.assignment_add(
                incident=fire_incident, agency=demo.agency(code), task="到场协助", by=demo.dispatcher
            )

    _in_thread(bring_in)
    board.locator(f"article:has-text('{fire_incident.reference}') li.chip").nth(4).wait_for(timeout=5000)
    _settle(board)
    fetched = [url.split("region=")[1] for url in on_board.seen if "region=" in url]
    assert sorted(fetched) == ["board-counts", f"board-incident&incident={fire_incident.pk}"], fetched
    context.close()


def test_the_board_catches_up_through_its_regions_after_the_server_returns(browser, asgi_server, demo, fire_incident):
    context = browser.new_context(locale="en-US")
    session_for(context, asgi_server, demo.commander)
    board, on_board = _open(context, asgi_server, "/board/")

    asgi_server.stop()
    board.wait_for_selector("#live-status.offline")
    # While the board is not listening, the fire brigade accepts (the event goes nowhere).
    task = fire_incident.assignments.get(agency__code="km-fire")
    services.assignment_accept(assignment=task, by=demo.fire_liaison)
    asgi_server.start()

    board.locator(f"#assignment-{task.pk}.chip.st-accepted").wait_for(timeout=20000)
    board.wait_for_selector("#live-status:not(.offline)")
    assert board.evaluate("window.__notReloaded") is True
    assert on_board.regions() == {"board-body", "board-counts", "board-markers", "board-kpis"}  # not each card
    assert on_board.pages() == []
    assert on_board.recounts <= 1  # the notification socket re-read its count, once
    context.close()
