"""What one live event costs a page: the bytes and server time a browser's refresh takes, before (the
whole page fetched again on every event, as `live.js` did) and after (the page regions the event
triggers, each an htmx partial: incidents/regions.py).

Runs Linkage in the services mode (one Daphne process, PostgreSQL, Redis) on the benchmark database,
signs the commander in, and for N active incidents on the board (20 and 200 by default) fetches
`GET /board/` and each of its regions (`?region=…` with `HX-Request`), and the same for one incident's
page. Which regions an event type refreshes is read from the page itself (each region's
`hx-trigger`), as the browser does. Each request is repeated and its median taken; a region fetch is a
request of its own, so an event that refreshes three regions costs three requests.

    .venv/bin/python bench/board_events.py [--incidents 20 200] [--repeat 15]

The time is measured at the client over a kept-alive loopback connection: the server's time plus a
loopback round trip. Per client: every open page pays this for every event it hears.
"""

import argparse
import http.client
import json
import re
import statistics
import time
from html import unescape as html_unescape

from _server import PORT, manage, prepare, start_daphne, stop

# (event type, the task status its envelope carries, a label): an accept and a take-off are both
# `assignment.updated`; some regions hear it only for some statuses (their hx-trigger filter).
EVENTS = (
    ("note.added", None, "`note.added`"),
    ("assignment.updated", "accepted", "`assignment.updated` (an accept)"),
    ("assignment.updated", "cancelled", "`assignment.updated` (a take-off)"),
    ("assignment.declined", "declined", "`assignment.declined`"),
    ("assignment.created", "pending", "`assignment.created`"),
    ("incident.updated", None, "`incident.updated`"),
)

# Opens incidents on top of the demo's (severity cycling I–IV: more agencies on the serious ones),
# with coordinates (map markers), and a few notes on the first one (the incident page measured).
OPEN = """
import json
from django.contrib.auth import get_user_model
from incidents.models import Incident, IncidentStatus
from incidents.services import incident_open, note_add
users = get_user_model().objects
dispatcher = users.get(username="dispatcher")
active = Incident.objects.filter(status__in=[IncidentStatus.ACTIVE, IncidentStatus.CONTAINED])
for number in range(max(0, %d - active.count())):
    incident_open(by=dispatcher, kind=("hazmat", "building_fire", "traffic_accident")[number %% 3],
                  severity=1 + number %% 4, title=f"演练 {number} 号", address=f"五华区 {number} 号",
                  latitude=f"{25.0 + number / 1000:.6f}", longitude=f"{102.7 + number / 1000:.6f}")
first = active.order_by("severity", "created_at").first()
while first.timeline.count() < 20:
    note_add(incident=first, by=dispatcher, text="现场情况更新：道路已封闭，疏散进行中")
print(json.dumps({"active": active.count(), "incident": first.pk}))
"""

# A session for the commander, as a browser holds one.
SESSION = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username="commander"))
print(client.cookies[settings.SESSION_COOKIE_NAME].value)
"""

REGION = re.compile(r'<[a-z]+[^>]* id="([a-z0-9-]+)" data-region hx-get="([^"]*)" hx-trigger="([^"]*)"')


class Browser:
    """One kept-alive connection with the commander's session cookie."""

    def __init__(self, session: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        self.headers = {"Cookie": f"sessionid={session}", "Accept-Language": "zh-hans"}

    def get(self, path: str, htmx: bool = False) -> tuple[int, float, str]:
        headers = {**self.headers, **({"HX-Request": "true"} if htmx else {})}
        started = time.perf_counter()
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
        return len(body), elapsed, body.decode()

    def measure(self, path: str, repeat: int, htmx: bool = False) -> tuple[int, float]:
        """(bytes, median ms) of `repeat` fetches, after one warm-up."""
        self.get(path, htmx)
        sizes, times = [], []
        for _ in range(repeat):
            size, elapsed, _body = self.get(path, htmx)
            sizes.append(size)
            times.append(elapsed)
        return int(statistics.median(sizes)), statistics.median(times)


def hears(condition: str, status: str | None) -> bool:
    """Whether a region's event filter passes for an envelope with this task status. The filters
    incidents/regions.py writes name the incident (true: the card of the event's incident is the one
    measured) and task statuses (`detail.assignment.status=='…'`)."""
    statuses = re.findall(r"detail\.assignment\.status=='([a-z_]+)'", condition)
    return not statuses or status in statuses


def page_costs(browser: Browser, path: str, repeat: int) -> list[dict]:
    """Per event type: the whole page's cost, and the cost of the regions the event triggers. Of the
    regions kept per object (the board's cards), the first one's: an event names one incident."""
    _size, _elapsed, html = browser.get(path)
    regions, urls = {}, {}
    for element_id, url, trigger in REGION.findall(html):
        name = re.sub(r"-\d+$", "", element_id)
        if name in regions:
            continue
        regions[name] = dict(re.findall(r"linkage:([a-z]+\.[a-z]+)(\[[^\]]*\])? from:body", html_unescape(trigger)))
        urls[name] = html_unescape(url)
    full = browser.measure(path, repeat)
    parts = {name: browser.measure(urls[name], repeat, htmx=True) for name in regions}
    rows = []
    for event, status, label in EVENTS:
        hit = [name for name, events in regions.items() if event in events and hears(events[event], status)]
        rows.append(
            {
                "event": label,
                "regions": hit,
                "before_bytes": full[0],
                "before_ms": full[1],
                "after_bytes": sum(parts[name][0] for name in hit),
                "after_ms": sum(parts[name][1] for name in hit),
            }
        )
    return rows


def ratio(after: float, before: float) -> str:
    return f"{after / before:.2f}" if before else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()

    prepare("commander")
    session = manage("shell", "-c", SESSION).strip().splitlines()[-1]
    results = []
    for count in sorted(options.incidents):
        opened = json.loads(manage("shell", "-c", OPEN % count).strip().splitlines()[-1])
        server = start_daphne()
        try:
            browser = Browser(session)
            for page, path in (("board", "/board/"), ("incident", f"/incidents/{opened['incident']}/")):
                for row in page_costs(browser, path, options.repeat):
                    results.append({"page": page, "active": opened["active"], **row})
        finally:
            stop(server)

    print("| page | active incidents | event | regions fetched | bytes before → after | × | ms before → after | × |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |")
    for row in results:
        print(
            f"| {row['page']} | {row['active']} | {row['event']} | {', '.join(row['regions']) or '(none)'} | "
            f"{row['before_bytes']:,} → {row['after_bytes']:,} | {ratio(row['after_bytes'], row['before_bytes'])} | "
            f"{row['before_ms']:.1f} → {row['after_ms']:.1f} | {ratio(row['after_ms'], row['before_ms'])} |"
        )


if __name__ == "__main__":
    main()
