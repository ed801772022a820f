"""A removed member's open dashboard stops being live and shows what they may see now: real Chromium,
Daphne in its own process, the Redis channel layer; the membership is deleted here (committed), and
the server tells the page's socket to close (4403), on which the page reloads."""

import threading

from agencies.models import Membership
from tests.browser.conftest import session_for


def test_a_member_removed_while_watching_the_dashboard_sees_it_end(browser, asgi_server, demo, screenshots):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 700})
    session_for(context, asgi_server, demo.fire_liaison)
    page = context.new_page()
    page.goto(asgi_server.url + "/dashboard/")
    page.wait_for_selector("#live-status:not([hidden]):not(.offline)")  # the socket is open
    page.evaluate("window.__notReloaded = true")

    # As in the admin: committed, and the signals tell the server. In a thread of its own, as a request
    # would be: Playwright keeps an event loop in this one, where async_to_sync cannot run.
    removal = threading.Thread(target=Membership.objects.filter(user=demo.fire_liaison).delete)
    removal.start()
    removal.join()

    page.wait_for_function("window.__notReloaded === undefined", timeout=5000)  # reloaded on close 4403
    page.wait_for_load_state()
    assert page.evaluate("fetch(location.href).then(r => r.status)") == 403  # the dashboard is no longer theirs
    assert "无权查看" in page.locator("main, body").first.inner_text()  # said in their language, not a bare 403
    page.screenshot(path=str(screenshots / "access-ended-dashboard-zh.png"))
    context.close()
