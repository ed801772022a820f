"""Escalation benchmark: 10,000 pending tasks with staggered deadlines, swept by a real beat and worker.

Services mode on its own database (`linkage_bench`) and Redis database 14. Starts Celery beat (sweep
every LINKAGE_SWEEP_SECONDS, default 1 s here), one worker for the `escalation` queue and one for
`notifications`, inserts N pending tasks (N / 5 incidents × five agencies) falling due evenly over
--window seconds, and waits until every one has reached level 1. Reports:

  lateness   escalated_at − accept_by over all tasks: p50, p99, max (target: p99 within the sweep
             interval + 1 s)
  sweeps     the worker's own timing of each escalation sweep: p50, p99, max, and how many tasks the
             biggest one moved
  baseline   one sweep over the N pending rows with none due (the index probe), in the same run
  burst      one sweep when all N fall due at once (no workers; in this process's own timing)

    .venv/bin/python bench/escalation.py [--tasks 10000] [--window 60] [--sweep 1]
"""

import argparse
import json
import re
import statistics
import subprocess
import time
from pathlib import Path

from _server import ENV, PYTHON, ROOT, manage, prepare

INSERT = """
import json, time
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from agencies.models import Agency
from incidents.models import Assignment, Incident, EscalationPolicy
count, start_in, window = %d, %f, %f
agencies = list(Agency.objects.order_by("code"))
policy = EscalationPolicy.objects.get(is_default=True)
plan = {**policy.snapshot(), "interval_seconds": 3600}
now = timezone.now()
with transaction.atomic():
    incidents = Incident.objects.bulk_create(
        [Incident(kind="hazmat", severity=3, title=f"bench {i}", reference=f"BENCH-{now:%%H%%M%%S}-{i:06d}")
         for i in range(count // len(agencies))])
    rows = []
    for number, (incident, agency) in enumerate((i, a) for i in incidents for a in agencies):
        due = now + timedelta(seconds=start_in + window * number / count)
        rows.append(Assignment(incident=incident, agency=agency, task="bench", accept_by=due, next_escalation_at=due,
                               escalation_policy=policy, escalation_snapshot=plan))
    Assignment.objects.bulk_create(rows, batch_size=2000)
print(json.dumps({"first_due": rows[0].accept_by.isoformat(), "last_due": rows[-1].accept_by.isoformat()}))
"""

PROGRESS = """
from incidents.models import Assignment
print(Assignment.objects.filter(task="bench", status="pending", escalation_level=0).count())
"""

LATENESS = """
import json
from django.db.models import F
from incidents.models import Assignment
rows = Assignment.objects.filter(task="bench", escalation_level__gte=1)
rows = rows.annotate(late=F("escalated_at") - F("accept_by"))
print(json.dumps([row.late.total_seconds() for row in rows]))
"""

DELIVERY = """
import json
from django.db.models import F
from notifications.models import Notification
rows = Notification.objects.filter(cause__startswith="assignment:")
sent = rows.filter(status="sent").annotate(lag=F("sent_at") - F("created_at"))
print(json.dumps({"rows": rows.count(), "queued": rows.filter(status="queued").count(),
                  "lag": [row.lag.total_seconds() for row in sent]}))
"""

SWEEP_ONCE = """
import json, time
from incidents.escalation import escalate_due
started = time.perf_counter()
moved = escalate_due()
print(json.dumps({"seconds": time.perf_counter() - started, "moved": moved}))
"""

MAKE_ALL_DUE = """
from django.utils import timezone
from incidents.models import Assignment
Assignment.objects.filter(task="bench").update(escalation_level=0, next_escalation_at=timezone.now(), status="pending")
"""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def last_json(output: str):
    return json.loads(output.strip().splitlines()[-1])


def start(env, *args, log: Path, nice: int = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [*(["nice", "-n", str(nice)] if nice else []), PYTHON, "-m", "celery", "-A", "linkage.celery:app", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--sweep", type=int, default=1)
    parser.add_argument(
        "--no-delivery", action="store_true", help="no notifications worker: the sweep alone on the machine"
    )
    parser.add_argument("--delivery-nice", type=int, default=0, help="run the notifications worker at this niceness")
    args = parser.parse_args()
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)

    prepare("dispatcher")
    env = {
        **ENV,
        "LINKAGE_SWEEP_SECONDS": str(args.sweep),
        "LINKAGE_LOG_LEVEL": "INFO",  # the worker logs each sweep's own duration
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    escalation = ["worker", "-Q", "escalation", "--pool=solo", "-n", "escalation@%h", "-l", "INFO"]
    processes = [start(env, *escalation, log=logs / "escalation.log"), start(env, "beat", log=logs / "beat.log")]
    if not args.no_delivery:
        delivery = ["worker", "-Q", "notifications", "--concurrency=2", "-n", "notifications@%h"]
        processes.append(start(env, *delivery, log=logs / "notify.log", nice=args.delivery_nice))
    try:
        time.sleep(8)  # workers and beat up
        span = last_json(manage("shell", "-c", INSERT % (args.tasks, 5.0, args.window)))
        deadline = time.monotonic() + args.window + 120
        while time.monotonic() < deadline:
            left = int(manage("shell", "-c", PROGRESS).strip().splitlines()[-1])
            if left == 0:
                break
            time.sleep(2)
        lateness = last_json(manage("shell", "-c", LATENESS))
        delivery = last_json(manage("shell", "-c", DELIVERY))
        while not args.no_delivery and delivery["queued"] and time.monotonic() < deadline:
            time.sleep(2)
            delivery = last_json(manage("shell", "-c", DELIVERY))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    sweeps = [
        (float(seconds), int(moved))
        for seconds, moved in re.findall(
            r"incidents\.escalation_sweep\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)",
            (logs / "escalation.log").read_text(),
        )
    ]
    baseline = last_json(manage("shell", "-c", SWEEP_ONCE))  # nothing due: the index probe
    manage("shell", "-c", MAKE_ALL_DUE)
    burst = last_json(manage("shell", "-c", SWEEP_ONCE))

    durations = [seconds for seconds, _moved in sweeps]
    print(
        f"{args.tasks} tasks due evenly over {args.window:.0f} s ({span['first_due']} … {span['last_due']}), "
        f"sweep every {args.sweep} s; escalation worker (solo)"
        f"{'' if args.no_delivery else ' + notifications worker (2 processes) delivering as it goes'}"
        f"{f', at niceness {args.delivery_nice}' if args.delivery_nice and not args.no_delivery else ''}\n"
    )
    print(f"escalated: {len(lateness)} of {args.tasks}")
    if lateness:
        print(
            f"lateness s: p50 {statistics.median(lateness):.2f}  p99 {percentile(lateness, 0.99):.2f}  "
            f"max {max(lateness):.2f}   (target p99 ≤ {args.sweep + 1} s)"
        )
    if durations:
        biggest = max(sweeps, key=lambda sweep: sweep[1])
        print(
            f"sweeps: {len(sweeps)}  duration s p50 {statistics.median(durations):.3f}  "
            f"p99 {percentile(durations, 0.99):.3f}  max {max(durations):.3f}  "
            f"(largest moved {biggest[1]} in {biggest[0]:.3f} s)"
        )
    if delivery["lag"]:
        lag = delivery["lag"]
        print(
            f"delivered: {len(lag)} of {delivery['rows']} notifications; created → sent s: "
            f"p50 {statistics.median(lag):.2f}  p99 {percentile(lag, 0.99):.2f}  max {max(lag):.2f}"
        )
    print(f"baseline: one sweep over {args.tasks} pending, none due: {baseline['seconds'] * 1000:.1f} ms")
    print(
        f"burst: one sweep with all {args.tasks} due at once: {burst['seconds']:.2f} s for {burst['moved']} "
        f"({burst['seconds'] / max(baseline['seconds'], 1e-9):.0f} × baseline)"
    )


if __name__ == "__main__":
    main()
