"""Keyboard intake in real Chromium: from `N` to a dispatched incident in the fewest keystrokes.

N focuses the kind field; kind, severity, address and what happened are one Tab apart; Ctrl+Enter
dispatches from the description. Focus stays where it was when the plan preview refreshes (htmx).
Counted: every key pressed (a press of Shift+Tab or Ctrl+Enter is one), and each free text typed as
one entry, whatever its length.
"""

import re

import pytest

from incidents.models import Incident
from incidents.services import incident_open
from tests.browser.conftest import session_for


class Keyboard:
    """page.keyboard that counts what it is asked to do."""

    def __init__(self, page):
        self.page, self.keys, self.texts = page, [], 0

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.keys.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.texts += 1


def dispatcher_page(browser, server, user, locale):
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    session_for(context, server, user)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


def focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement; return e ? (e.id || e.name || e.tagName) + '=' + e.value : ''; }"
    )


def count_swaps(page) -> None:
    page.evaluate(
        "() => { window.planSwaps = 0; document.body.addEventListener('htmx:afterSettle', () => window.planSwaps++); }"
    )


def wait_for_swaps(page, count: int) -> None:
    page.wait_for_function(f"() => window.planSwaps >= {count}")


@pytest.mark.parametrize(
    ("locale", "kind_keys", "title"),
    [
        # English: type-ahead picks "Hazardous materials" with one letter.
        ("en-US", ["h"], "危化品泄漏 · 官渡区化工园区 3 号罐区"),
        # Chinese labels cannot be typed without an input method: four arrows down the list.
        ("zh-CN", ["ArrowDown"] * 4, "危化品泄漏 · 官渡区化工园区 3 号罐区"),
    ],
)
def test_keyboard_intake_from_n_to_dispatch(browser, asgi_server, demo, screenshots, locale, kind_keys, title):
    page = dispatcher_page(browser, asgi_server, demo.dispatcher, locale)
    page.goto(f"{asgi_server.url}/incidents/")
    keys = Keyboard(page)

    keys.press("n")
    page.wait_for_url(f"{asgi_server.url}/incidents/new/")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'id_kind'")
    count_swaps(page)

    for key in kind_keys:
        keys.press(key)
    wait_for_swaps(page, 1)
    assert page.input_value("#id_kind") == "hazmat"
    assert focused(page) == "id_kind=hazmat"  # the plan came in; focus did not move

    keys.press("Tab")  # to the severity radios (one stop: the checked one, IV)
    assert focused(page) == "id_severity_3=4"
    keys.press("ArrowUp", times=2)  # IV → III → II, each a change that refreshes the plan
    wait_for_swaps(page, 3)
    assert focused(page) == "id_severity_1=2"
    page.locator("#plan input[name=agencies]:checked").nth(4).wait_for()  # hazmat at II: five agencies

    keys.press("Tab")
    assert focused(page).startswith("id_address=")
    keys.type("官渡区化工园区 3 号罐区")
    keys.press("Tab")
    assert focused(page).startswith("id_description=")
    keys.type("储罐泄漏，有刺激性气味")
    page.screenshot(path=screenshots / f"intake-keyboard-{locale}.png", full_page=True)
    keys.press("Control+Enter")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))

    incident = Incident.objects.get()
    assert incident.kind == "hazmat" and incident.severity == 2
    assert incident.assignments.count() == 5
    # The default title is stored in the site's language, whatever the dispatcher's page language.
    assert incident.title == title
    # N, the kind, Tab, ↑↑, Tab, Tab, Ctrl+Enter: eight keys in English, eleven in Chinese, plus two texts.
    assert len(keys.keys) == 7 + len(kind_keys), keys.keys
    assert keys.texts == 2
    assert page.js_errors == []


def test_focus_stays_in_the_plan_when_it_refreshes(browser, asgi_server, demo):
    page = dispatcher_page(browser, asgi_server, demo.dispatcher, "en-US")
    page.goto(f"{asgi_server.url}/incidents/new/?kind=hazmat")
    count_swaps(page)
    # The plan shows once the kind changes; tick an agency from the keyboard, then the map moves.
    page.select_option("#id_kind", "building_fire")
    wait_for_swaps(page, 1)
    box = page.locator("#plan input[name=agencies][value=km-fire]")
    box.focus()
    page.keyboard.press("Space")  # untick the fire brigade
    page.evaluate("() => htmx.trigger(document.getElementById('intake'), 'coordinates')")
    wait_for_swaps(page, 2)
    assert focused(page) == "agencies=km-fire"
    assert not page.locator("#plan input[name=agencies][value=km-fire]").is_checked()  # the tick is kept
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("n")  # N on the intake page itself (not in a field) goes back to the kind field
    assert focused(page) == "id_kind=building_fire"


def test_a_double_click_on_dispatch_sends_one_form(browser, asgi_server, demo):
    page = dispatcher_page(browser, asgi_server, demo.dispatcher, "en-US")
    page.goto(f"{asgi_server.url}/incidents/new/?kind=building_fire")
    page.wait_for_selector("#plan input[name=agencies]:checked")
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.dblclick("#dispatch")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    assert len(posts) == 1
    assert Incident.objects.count() == 1


def test_similar_incident_nearby_shows_before_dispatch_in_chinese(browser, asgi_server, demo, screenshots):
    first = incident_open(
        by=demo.dispatcher,
        kind="building_fire",
        severity=3,
        title="青年路居民楼起火",
        latitude="25.043000",
        longitude="102.710000",
    )
    page = dispatcher_page(browser, asgi_server, demo.dispatcher, "zh-CN")
    page.goto(f"{asgi_server.url}/incidents/new/")
    page.select_option("#id_kind", "building_fire")
    # Longitude first, then latitude: the position is known when the second of the two changes.
    page.fill("#id_longitude", "102.710000")
    page.fill("#id_latitude", "25.044000")
    page.locator("#id_latitude").dispatch_event("change")
    warning = page.locator("#similar")
    warning.wait_for()
    text = warning.inner_text()
    assert first.reference in text and "刚刚创建，相距 111 米" in text
    assert warning.locator("a").get_attribute("href") == f"/incidents/{first.pk}/"
    page.screenshot(path=screenshots / "intake-similar-zh-hans.png", full_page=True)


def test_the_similar_box_follows_the_exercise_box(browser, asgi_server, demo, screenshots):
    """A drill nearby is no duplicate of a real call; ticking "Exercise" lists it, marked."""
    drill = incident_open(
        by=demo.dispatcher,
        kind="building_fire",
        severity=3,
        title="青年路居民楼消防演练",
        latitude="25.043000",
        longitude="102.710000",
        exercise=True,
    )
    page = dispatcher_page(browser, asgi_server, demo.dispatcher, "zh-CN")
    page.goto(f"{asgi_server.url}/incidents/new/")
    page.select_option("#id_kind", "building_fire")
    page.fill("#id_longitude", "102.710000")
    page.fill("#id_latitude", "25.044000")
    page.locator("#id_latitude").dispatch_event("change")
    page.locator("#plan input[name=agencies]:checked").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.locator("#similar").count() == 0  # a real call: the drill is not its duplicate
    page.locator("details.more summary").click()
    page.check("#id_exercise")
    warning = page.locator("#similar")
    warning.wait_for()
    assert drill.reference in warning.inner_text() and warning.locator(".drill-tag").count() == 1
    page.screenshot(path=screenshots / "intake-similar-drill-zh-hans.png", full_page=True)
