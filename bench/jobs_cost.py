"""How long a password-reset mail takes to reach the SMTP server, and what its deliverer holds in
memory, with background_jobs=none (the inline sender thread of each gunicorn worker) beside
background_jobs=celery (a real `celery worker` fed through Redis).

From the template's root, with PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379:

    .venv/bin/python bench/jobs_cost.py                  # 200 requests per variant, 10 per second
    .venv/bin/python bench/run.py --only jobs --output /tmp/jobs.json

Both renders (PostgreSQL, Redis counters, every capability on) are served under gunicorn as the
other parts are, each on a database of its own, and their mail goes to one SMTP server
(bench/smtp_sink.py, run with a render's interpreter) that notes when each message arrived. The
celery render's broker is BENCH_BROKER_URL (a Redis database no test uses); its worker runs with
its defaults (threads pool, CELERY_CONCURRENCY 4). Beat is not started: delivery needs only the
task each request queues, and the sweep beat starts would only resend rows a lease (120 s) late.

Each variant gets `--requests` users (POST /auth/register), then one POST /auth/password-reset
for each, one client sending them one after another at a fixed `--rate` per second (each at its
slot, whatever the answers), in `--rounds` rounds that alternate between the variants; a round
waits for its last mail before the next starts. A mail's latency is from just before its request
was sent to its arrival at the SMTP server. The limits these requests meet stay on, raised out of
reach (project.HIGH_LIMIT). After the run the script waits a few seconds more for late or
duplicate mails, asks each render's `flask mail status`, and reads the resident set of the
gunicorn workers and of the celery worker's process tree. Prints one JSON object; writes nothing.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from project import HIGH_LIMIT, ROOT, prepared, rss_mb, run, served, worker_pids

BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")
VARIANTS = ("none", "celery")
# The limits of registering and of asking for a reset mail (per client and per address).
MAIL_LIMITS = dict.fromkeys(
    ("RATELIMIT_REGISTER", "RATELIMIT_ACCOUNT_MAIL", "RATELIMIT_ACCOUNT_MAIL_ADDRESS"), HIGH_LIMIT
)
PASSWORD = "bench-password-123"
# Mails per variant sent (and waited for, one at a time) before the measured rounds.
WARM_UP = 3
ROUND_TIMEOUT = 120.0
LATE_SECONDS = 6.0
# Lines of the worker's log worth a look (its own and Celery's records, or a traceback).
PROBLEM = re.compile(r"WARNING|ERROR|CRITICAL|Traceback")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Mailbox:
    """The SMTP sink's arrivals: each recipient's arrival times (monotonic seconds)."""

    def __init__(self, sink: subprocess.Popen) -> None:
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.changed = threading.Condition()
        self.sink = sink
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.sink.stdout:
            arrived, recipient = line.split()
            with self.changed:
                self.arrivals[recipient.lower()].append(float(arrived))
                self.changed.notify_all()

    def wait_for(self, recipients: list[str], seconds: float) -> bool:
        """Whether every one of `recipients` has had a mail within `seconds`."""
        with self.changed:
            return self.changed.wait_for(
                lambda: all(r in self.arrivals for r in recipients), timeout=seconds
            )


@contextmanager
def smtp_sink(python: Path) -> Iterator[tuple[int, Mailbox]]:
    """bench/smtp_sink.py under `python`; yield its port and its mailbox."""
    command = [str(python), str(ROOT / "bench" / "smtp_sink.py")]
    sink = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        first = sink.stdout.readline().split()
        if first[:1] != ["port"]:
            raise RuntimeError(f"the SMTP sink did not start: {first}")
        yield int(first[1]), Mailbox(sink)
    finally:
        sink.terminate()
        sink.wait(timeout=30)


@contextmanager
def celery_worker(project: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, Path]]:
    """`celery -A app.jobs.worker worker` in `project`, as its Makefile starts it; yield it and
    its log once it says it is ready."""
    command = [str(project / ".venv" / "bin" / "celery"), "-A", "app.jobs.worker", "worker"]
    log_file = Path(tempfile.mkstemp(prefix="bench-celery-", suffix=".log")[1])
    with log_file.open("w") as out:
        worker = subprocess.Popen(
            [*command, "--loglevel", "INFO"],
            cwd=project,
            env={**os.environ, **env, "PYTHONPATH": str(project)},
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        end = time.monotonic() + 60
        while " ready." not in log_file.read_text():
            if worker.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"the celery worker did not start:\n{log_file.read_text()}")
            time.sleep(0.2)
        yield worker, log_file
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        log_file.unlink()


def post(url: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def addresses(variant: str, count: int, prefix: str = "user") -> list[str]:
    return [f"{prefix}{n}.{variant}@example.com" for n in range(count)]


def register(api: str, emails: list[str]) -> None:
    for email in emails:
        body = {"email": email, "name": "Bench", "password": PASSWORD}
        status = post(f"{api}/auth/register", body)
        if status != 201:
            raise RuntimeError(f"POST /auth/register for {email}: {status}")


def ask_for_resets(api: str, emails: list[str], rate: float) -> list[tuple[str, float, float]]:
    """POST /auth/password-reset for each of `emails`, the n-th at start + n / rate; each
    address with when its request was sent and how long its answer took (seconds)."""
    sent = []
    start = time.monotonic()
    for n, email in enumerate(emails):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        began = time.monotonic()
        status = post(f"{api}/auth/password-reset", {"email": email})
        answered = time.monotonic() - began
        if status != 202:
            raise RuntimeError(f"POST /auth/password-reset for {email}: {status}")
        sent.append((email, began, answered))
    return sent


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    ms = sorted(value * 1000 for value in seconds)
    p99 = statistics.quantiles(ms, n=100, method="inclusive")[98] if len(ms) > 1 else ms[0]
    return {
        "p50": round(statistics.median(ms), 1),
        "p99": round(p99, 1),
        "max": round(ms[-1], 1),
    }


def outbox_status(project: Path, env: dict[str, str]) -> dict[str, str]:
    """`flask mail status`'s lines as a dict (pending, failed, oldest pending)."""
    output = run([str(project / ".venv" / "bin" / "flask"), "mail", "status"], project, env)
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def tree_rss_mb(pid: int) -> float:
    """The resident sets of process `pid` and all its descendants, summed, in MB."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        children = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True)
        todo += [int(child) for child in children.stdout.split()]
    return round(sum(rss_mb(each) for each in pids), 1)


def summarize(rounds: list[list[tuple[str, float, float]]], mailbox: Mailbox) -> dict:
    """Each mail's latency (its first arrival), overall and per round, the answers' times,
    and how many mails never came or came more than once."""
    latencies: list[list[float]] = []
    missing = duplicates = 0
    with mailbox.changed:
        for sent in rounds:
            latencies.append([])
            for email, began, _ in sent:
                arrived = mailbox.arrivals.get(email, [])
                if arrived:
                    latencies[-1].append(min(arrived) - began)
                    duplicates += len(arrived) - 1
                else:
                    missing += 1
    every = [latency for each in latencies for latency in each]
    return {
        "mail_ms": percentiles_ms(every),
        "mail_ms_per_round": [percentiles_ms(each) for each in latencies],
        "answer_ms": percentiles_ms([answered for sent in rounds for _, _, answered in sent]),
        "mails_received": len(every),
        "mails_missing": missing,
        "duplicate_mails": duplicates,
    }


def measure(scratch: Path, requests: int, rate: float, rounds: int) -> dict:
    report: dict = {
        "requests_per_variant": requests,
        "pacing": f"one client, requests sent one after another at a fixed {rate:g} per second "
        f"(open loop: each at its slot), in {rounds} rounds per variant alternating between "
        "them; a round waits for its last mail before the next",
        "rate_limits": "on; RATELIMIT_REGISTER, RATELIMIT_ACCOUNT_MAIL, "
        f"RATELIMIT_ACCOUNT_MAIL_ADDRESS and project.LIMIT_SETTINGS at {HIGH_LIMIT!r}",
        "gunicorn": "2 sync workers (project.served); none: MAIL_SENDER=inline",
        "celery_worker": "threads pool, CELERY_CONCURRENCY 4 (the defaults); no beat",
    }
    with ExitStack() as stack:
        projects, envs, apis, processes = {}, {}, {}, {}
        for variant in VARIANTS:
            log(f"jobs: rendering and setting up background_jobs={variant}")
            projects[variant], envs[variant] = stack.enter_context(
                prepared(
                    scratch, "postgresql", "redis", background_jobs=variant, use_account_emails=True
                )
            )
        python = projects["none"] / ".venv" / "bin" / "python"
        port, mailbox = stack.enter_context(smtp_sink(python))
        for variant in VARIANTS:
            env = envs[variant] = {
                **envs[variant],
                **MAIL_LIMITS,
                "MAIL_PORT": str(port),
                # Registering the users hashes their passwords: cheaply, as the other parts do.
                "PASSWORD_HASH_ITERATIONS": "1000",
            }
            if variant == "celery":
                env["CELERY_BROKER_URL"] = BROKER
                processes["celery_worker"], worker_log = stack.enter_context(
                    celery_worker(projects[variant], env)
                )
            else:
                env["MAIL_SENDER"] = "inline"
            apis[variant], processes[variant] = stack.enter_context(served(projects[variant], env))
            log(f"jobs: registering {requests + WARM_UP} users in the {variant} render")
            warm = addresses(variant, WARM_UP, "warm")
            register(apis[variant], addresses(variant, requests) + warm)
        for variant in VARIANTS:
            for email in addresses(variant, WARM_UP, "warm"):
                ask_for_resets(apis[variant], [email], rate)
                if not mailbox.wait_for([email], ROUND_TIMEOUT):
                    raise RuntimeError(f"{variant}: the warm-up mail to {email} never came")
        sent: dict[str, list[list[tuple[str, float, float]]]] = {v: [] for v in VARIANTS}
        bounds = [requests * n // rounds for n in range(rounds + 1)]
        for index in range(rounds):
            order = VARIANTS if index % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                emails = addresses(variant, requests)[bounds[index] : bounds[index + 1]]
                log(f"jobs: round {index + 1}/{rounds}, {variant}: {len(emails)} requests")
                sent[variant].append(ask_for_resets(apis[variant], emails, rate))
                mailbox.wait_for(emails, ROUND_TIMEOUT)
        time.sleep(LATE_SECONDS)
        for variant in VARIANTS:
            report[variant] = summarize(sent[variant], mailbox)
            report[variant]["outbox_after"] = outbox_status(projects[variant], envs[variant])
            report[variant]["gunicorn_worker_rss_mb"] = [
                round(rss_mb(pid), 1) for pid in worker_pids(processes[variant])
            ]
        report["celery"]["celery_worker_rss_mb"] = tree_rss_mb(processes["celery_worker"].pid)
        report["celery"]["celery_worker_log_problems"] = [
            line for line in worker_log.read_text().splitlines() if PROBLEM.search(line)
        ][:10]
    for key in ("p50", "p99", "max"):
        none, celery = report["none"]["mail_ms"].get(key), report["celery"]["mail_ms"].get(key)
        if none and celery:
            report[f"mail_{key}_celery_over_none"] = round(celery / none, 2)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="reset requests per variant")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per variant")
    args = parser.parse_args()
    started = time.monotonic()
    # The machine may be shared: its load, over the last minute, before and after.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as scratch:
        report = measure(Path(scratch), args.requests, args.rate, args.rounds)
    report["load_average_1min"] = {
        "before": round(load_before, 2),
        "after": round(os.getloadavg()[0], 2),
    }
    report["wall_s"] = round(time.monotonic() - started, 1)
    for variant in VARIANTS:
        figures = report[variant]
        mail = ", ".join(f"{key} {value} ms" for key, value in figures["mail_ms"].items())
        rss = figures["gunicorn_worker_rss_mb"]
        log(f"{variant}: mail {mail}; gunicorn workers {rss} MB")
    log(f"celery worker (process tree): {report['celery']['celery_worker_rss_mb']} MB")
    ratios = {key: value for key, value in report.items() if key.endswith("_celery_over_none")}
    log(f"celery over none: {ratios}; {report['wall_s']} s in all")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
