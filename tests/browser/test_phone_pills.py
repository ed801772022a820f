"""On a 390 px phone, the small pills of the incident header (the "演练" exercise tag, severity,
status) each stay on one line, in real Chromium. The page is saved as a screenshot."""

import pytest

from incidents.services import incident_open
from tests.browser.conftest import session_for

PILLS = ".incident-head .tag, .incident-head .sev, .incident-head .status"


@pytest.mark.parametrize(("locale", "language"), [("zh-CN", "zh-hans"), ("en-US", "en")])
def test_header_pills_never_wrap_on_a_phone(browser, asgi_server, demo, screenshots, locale, language):
    incident = incident_open(
        by=demo.dispatcher,
        kind="hazmat",
        severity=2,
        title="化工园区储罐泄漏演练：官渡区化工园区 3 号罐区，模拟刺激性气体扩散",
        address="官渡区化工园区 3 号罐区",
        exercise=True,
    )
    context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    session_for(context, asgi_server, demo.dispatcher)
    page = context.new_page()
    page.goto(f"{asgi_server.url}/incidents/{incident.pk}/")
    page.wait_for_selector(".incident-head .drill-tag")
    page.screenshot(path=screenshots / f"{language}-phone-390-exercise-header.png")
    lines = page.eval_on_selector_all(
        PILLS,
        """els => els.map(el => {
            const style = getComputedStyle(el);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.45;
            const box = el.getBoundingClientRect();
            return [el.className, el.textContent.trim(), Math.round((box.height - parseFloat(style.paddingTop)
                - parseFloat(style.paddingBottom)) / line), el.getClientRects().length];
        })""",
    )
    assert any("drill-tag" in name for name, *_rest in lines)
    assert [row for row in lines if row[2] > 1 or row[3] > 1] == []
    context.close()
