"""API benchmark: opening an incident and listing an agency's tasks, against a trivial view.

Runs Linkage in the services mode (Daphne, PostgreSQL, Redis) on a database of its own
(`linkage_bench`, recreated each run), loads it with wrk from the same machine, and reports
requests per second and p50/p99 latency of:

  baseline  GET  /livez/                                  (a trivial Django JSON view)
  open      POST /api/v1/incidents/  hazmat level III     (plan expansion to five agencies)
  list      GET  /api/v1/assignments/?agency=km-fire      (a page of 50, as the fire liaison)

each as a ratio to the baseline measured in the same run. Needs `wrk` (Debian package) and the
machine's PostgreSQL and Redis.

    .venv/bin/python bench/api.py [--seconds 10] [--connections 8] [--servers 1]
"""

import argparse
import os
import re
import shutil
import subprocess
import tempfile

from _server import PORT, prepare, start_daphne, stop

POST_LUA = """
wrk.method = "POST"
wrk.body = '{"kind": "hazmat", "severity": 3, "title": "bench 氯气泄漏", "address": "官渡区", '
    .. '"latitude": "25.03", "longitude": "102.75"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token %s"
done = function(summary, latency, requests)
  local codes = {}
  io.write(string.format("non2xx=%%d\\n", summary.errors.status))
end
"""

GET_LUA = """
wrk.headers["Authorization"] = "Token %s"
done = function(summary, latency, requests)
  io.write(string.format("non2xx=%%d\\n", summary.errors.status))
end
"""


def parse_duration(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def run_wrk(path: str, *, seconds: int, connections: int, lua: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{PORT}{path}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua or "")
    if lua:
        command[1:1] = ["-s", script.name]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "99" not in latency:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": parse_duration(latency["50"]),
        "p99_ms": parse_duration(latency["99"]),
        "non2xx": int((re.search(r"non2xx=(\d+)", output) or re.search(r"Non-2xx.*?(\d+)", output) or [0, 0])[1]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    tokens = prepare("dispatcher", "fire_liaison")
    server = start_daphne()
    try:
        run_wrk("/livez/", seconds=2, connections=args.connections)  # warm up
        runs = {
            "baseline GET /livez/": run_wrk("/livez/", seconds=args.seconds, connections=args.connections),
            "open POST /api/v1/incidents/": run_wrk(
                "/api/v1/incidents/",
                seconds=args.seconds,
                connections=args.connections,
                lua=POST_LUA % tokens["dispatcher"],
            ),
            "list GET /api/v1/assignments/?agency=km-fire": run_wrk(
                "/api/v1/assignments/?agency=km-fire&status=pending",
                seconds=args.seconds,
                connections=args.connections,
                lua=GET_LUA % tokens["fire_liaison"],
            ),
        }
    finally:
        stop(server)

    baseline = runs["baseline GET /livez/"]["rps"]
    print(f"{args.connections} connections, {args.seconds} s each, one Daphne process, PostgreSQL + Redis\n")
    print(f"{'what':48} {'req/s':>8} {'x base':>7} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, run in runs.items():
        print(
            f"{name:48} {run['rps']:8.1f} {run['rps'] / baseline:7.2f} {run['p50_ms']:8.1f} {run['p99_ms']:8.1f} "
            f"{run['non2xx']:8d}"
        )


if __name__ == "__main__":
    main()
