"""Live-update benchmark: how fast and how surely an API change reaches every open socket.

Runs Linkage in the services mode (one Daphne process, PostgreSQL, the Redis channel layer) on its
own database, opens N WebSockets on the situation board (`/ws/board/`, as the commander, by ticket),
then posts notes to an incident through the API, one at a time. For each (socket, note) it records
the time from the API call's return to the socket receiving the event, and reports p50, p99 and the
fraction delivered, for N = 50, 500 and 1000. The baseline, measured in the same run: a raw Redis
PUBLISH → SUBSCRIBE round trip on the same Redis.

    .venv/bin/python bench/live.py [--sockets 50 500 1000] [--events 30]

A negative time means the event reached the socket before the HTTP response reached the client: the
push is sent on commit, before the response is written.
"""

import argparse
import asyncio
import json
import statistics
import time
import urllib.request

import redis.asyncio
from _server import ENV, PORT, prepare, start_daphne, stop
from websockets.asyncio.client import connect

ORIGIN = f"http://127.0.0.1:{PORT}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def redis_round_trip(samples: int = 300) -> list[float]:
    """PUBLISH → SUBSCRIBE on the benchmark's Redis, in ms: the floor under any channel-layer push."""
    client = redis.asyncio.Redis.from_url(ENV["REDIS_URL"])
    pubsub = client.pubsub()
    await pubsub.subscribe("bench.baseline")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await client.publish("bench.baseline", "x")
        while (await pubsub.get_message(timeout=1)) is None:
            pass
        times.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    await client.aclose()
    return times


def api(method: str, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


async def listen(socket, arrivals: dict[int, list[float]]) -> None:
    async for message in socket:
        now = time.perf_counter()
        event = json.loads(message)
        if "seq" in event:
            arrivals.setdefault(event["seq"], []).append(now)


async def run(sockets: int, events: int, tokens: dict, incident_id: int) -> dict:
    loop = asyncio.get_running_loop()
    arrivals: dict[int, list[float]] = {}
    opened = []
    for start in range(0, sockets, 50):  # in batches, as browsers arriving would
        # A socket takes a one-use ticket, not the API token (docs/live.md): one per socket.
        tickets = [
            (await loop.run_in_executor(None, api, "POST", "/api/v1/auth/ws-ticket/", tokens["commander"]))["ticket"]
            for _ in range(min(50, sockets - start))
        ]
        batch = await asyncio.gather(
            *(
                connect(
                    f"ws://127.0.0.1:{PORT}/ws/board/?ticket={ticket}",
                    origin=ORIGIN,
                    max_queue=None,
                    open_timeout=60,
                    ping_interval=None,
                )
                for ticket in tickets
            )
        )
        opened.extend(batch)
    listeners = [asyncio.create_task(listen(socket, arrivals)) for socket in opened]
    await asyncio.sleep(1)

    sent: dict[int, float] = {}
    returned: dict[int, float] = {}
    path = f"/api/v1/incidents/{incident_id}/notes/"
    for number in range(events):
        started = time.perf_counter()
        entry = await loop.run_in_executor(None, api, "POST", path, tokens["dispatcher"], {"text": f"bench {number}"})
        returned[entry["seq"]] = time.perf_counter()
        sent[entry["seq"]] = started
        await asyncio.sleep(0.25)
    await asyncio.sleep(3)  # stragglers

    for task in listeners:
        task.cancel()
    await asyncio.gather(*(socket.close() for socket in opened), return_exceptions=True)
    mine = {seq: times for seq, times in arrivals.items() if seq in returned}
    after_return = [(arrived - returned[seq]) * 1000 for seq, times in mine.items() for arrived in times]
    after_call = [(arrived - sent[seq]) * 1000 for seq, times in mine.items() for arrived in times]
    spread = [(max(times) - min(times)) * 1000 for times in mine.values()]
    return {
        "sockets": sockets,
        "delivered": len(after_return) / (sockets * events),
        "p50": percentile(after_return, 0.5),
        "p99": percentile(after_return, 0.99),
        "call_p50": percentile(after_call, 0.5),
        "call_p99": percentile(after_call, 0.99),
        "spread_p99": percentile(spread, 0.99),
    }


async def main_async(args) -> None:
    tokens = prepare("commander", "dispatcher")
    server = start_daphne()
    try:
        incident = api(
            "POST",
            "/api/v1/incidents/",
            tokens["dispatcher"],
            {"kind": "building_fire", "severity": 4, "title": "bench 火情"},
        )
        baseline = await redis_round_trip()
        results = [await run(count, args.events, tokens, incident["id"]) for count in args.sockets]
    finally:
        stop(server)

    print(f"one Daphne process, Redis channel layer, {args.events} notes per run, sockets on /ws/board/\n")
    print(
        f"baseline Redis PUBLISH→SUBSCRIBE: p50 {statistics.median(baseline):.2f} ms, "
        f"p99 {percentile(baseline, 0.99):.2f} ms\n"
    )
    floor = percentile(baseline, 0.99)
    print("ms after the API call returned | after it was sent | last socket minus first, per event")
    print(
        f"{'sockets':>8} {'delivered':>10} {'p50':>7} {'p99':>7} {'sent p50':>9} {'sent p99':>9} "
        f"{'spread p99':>11} {'spread / Redis p99':>19}"
    )
    for r in results:
        print(
            f"{r['sockets']:8d} {r['delivered']:10.1%} {r['p50']:7.1f} {r['p99']:7.1f} {r['call_p50']:9.1f} "
            f"{r['call_p99']:9.1f} {r['spread_p99']:11.1f} {r['spread_p99'] / floor:19.0f}"
        )
    by_count = {r["sockets"]: r for r in results}
    if 50 in by_count and 1000 in by_count:
        print(f"\np99 after sending: 1000 / 50 sockets = {by_count[1000]['call_p99'] / by_count[50]['call_p99']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, nargs="+", default=[50, 500, 1000])
    parser.add_argument("--events", type=int, default=30)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
