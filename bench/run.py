"""Benchmark the template and the service it renders; see README "Benchmarks".

Every comparison is measured side by side in one run, interleaved (A, B, A, B, ...), and each
figure is the median over the rounds. Load comes from wrk on loopback, bounded in time.

    .venv/bin/python bench/run.py                # everything, results in bench/results.json
    .venv/bin/python bench/run.py --only render  # one part
"""

import argparse
import itertools
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import (  # noqa: E402 - needs ROOT on sys.path
    free_port,
    fresh_database,
    http,
    migrate_with_admin,
    project_venv,
    running,
    wait_for_http,
)

COOKIECUTTER = str(ROOT / ".venv" / "bin" / "cookiecutter")
EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
# Limits stay on (their cost is part of every request) but high enough never to trip.
HIGH_LIMIT = "100000000 per minute"
WORKERS = 2


def median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def ratio_to(values: list[float], floor: list[float]) -> float:
    """The median of each round's value over the same round's floor."""
    return median([value / base for value, base in zip(values, floor, strict=True)])


def interleave(rounds: int, **runs: Callable[[], float]) -> dict[str, list[float]]:
    """Call each run once per round, alternating the order, and collect the results."""
    results: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for index in range(rounds):
        order = names if index % 2 == 0 else list(reversed(names))
        for name in order:
            results[name].append(runs[name]())
    return results


def timed(command: list[str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def bake(out: Path, template: Path = ROOT, **answers: object) -> Path:
    args = [
        f"{key}={'yes' if value is True else 'no' if value is False else value}"
        for key, value in answers.items()
    ]
    subprocess.run(
        [COOKIECUTTER, "--no-input", "-o", str(out), str(template), *args],
        check=True,
        capture_output=True,
    )
    return next(path for path in out.iterdir() if path.is_dir())


# 1. Render ------------------------------------------------------------------------------


def minimal_template(scratch: Path) -> Path:
    """A one-file template with no hooks: what any cookiecutter render costs at the least."""
    template = scratch / "minimal-template"
    (template / "{{cookiecutter.project_slug}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text('{"project_slug": "minimal"}')
    (template / "{{cookiecutter.project_slug}}" / "README.md").write_text(
        "# {{ cookiecutter.project_slug }}\n"
    )
    return template


def copy_only_template(scratch: Path) -> Path:
    """This template's files, all copied without rendering and with no hooks: what cookiecutter
    costs for writing a tree of this size at all, before any Jinja or hook runs."""
    template = scratch / "copy-only-template"
    shutil.copytree(
        ROOT / "{{cookiecutter.project_slug}}", template / "{{cookiecutter.project_slug}}"
    )
    (template / "cookiecutter.json").write_text(
        json.dumps({"project_slug": "copy_only", "_copy_without_render": ["*"]})
    )
    return template


@contextmanager
def checked_out(revision: str | None, scratch: Path) -> Iterator[Path | None]:
    """The template as it was at `revision` (a git worktree in `scratch`), removed afterwards."""
    if revision is None:
        yield None
        return
    target = scratch / f"template-{revision}"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run(
        [*git, "add", "--detach", str(target), revision], check=True, capture_output=True
    )
    try:
        yield target
    finally:
        subprocess.run([*git, "remove", "--force", str(target)], check=False, capture_output=True)


def templates_to_measure(before: str | None, scratch: Path, stack: ExitStack) -> dict[str, Path]:
    """This template as "after", and with `before` that revision as "before" (removed when
    `stack` closes)."""
    templates = {"after": ROOT}
    old = stack.enter_context(checked_out(before, scratch))
    if old is not None:
        templates["before"] = old
    return templates


def bench_render(rounds: int, before: str | None) -> dict:
    """The default render against `cookiecutter --version`, a one-file template and this
    template's files merely copied; with `before`, that revision's render in the same rounds."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-render-"))
    counter = iter(range(10_000))
    minimal = minimal_template(scratch)
    copy_only = copy_only_template(scratch)

    def render(template: Path, *answers: str) -> float:
        out = str(scratch / str(next(counter)))
        return timed([COOKIECUTTER, "--no-input", "-o", out, str(template), *answers])

    with checked_out(before, scratch) as old:
        runs = {
            "render": partial(render, ROOT, "setup_environment=no"),
            "floor": partial(timed, [COOKIECUTTER, "--version"]),
            "minimal": partial(render, minimal),
            "copy_only": partial(render, copy_only),
        }
        if old is not None:
            runs["render_before"] = partial(render, old, "setup_environment=no")
        results = interleave(rounds, **runs)
    started = time.perf_counter()
    bake(scratch / "full", setup_environment=True)
    with_setup = time.perf_counter() - started
    shutil.rmtree(scratch, ignore_errors=True)
    return {
        "render_s": median(results["render"]),
        "cookiecutter_version_s": median(results["floor"]),
        "minimal_template_render_s": median(results["minimal"]),
        "same_files_copied_no_jinja_no_hooks_s": median(results["copy_only"]),
        "copy_only_ratio": ratio_to(results["copy_only"], results["floor"]),
        "ratio": ratio_to(results["render"], results["floor"]),
        **(
            {
                "render_before_s": median(results["render_before"]),
                "ratio_before": ratio_to(results["render_before"], results["floor"]),
            }
            if before
            else {}
        ),
        "render_with_setup_environment_s": round(with_setup, 2),
        "target_ratio": 1.3,
    }


# 2-4. Requests --------------------------------------------------------------------------


def wrk(url: str, seconds: int, connections: int = 16, token: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if connections == 1:
        command[1] = "-t1"
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} non-2xx answers under load:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _latency(output, "50%"),
        "p99_ms": _latency(output, "99%"),
    }


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 3)


def app_env(database_url: str, storage: str = "memory://", **extra: str) -> dict[str, str]:
    return {
        "FLASK_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "JWT_SECRET_KEY": "j" * 48,
        "TOTP_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_DEFAULT": HIGH_LIMIT,
        "RATELIMIT_USERS": HIGH_LIMIT,
        "RATELIMIT_LOGIN": HIGH_LIMIT,
        "RATELIMIT_LOGIN_ACCOUNT": HIGH_LIMIT,
        "LOG_LEVEL": "INFO",
        **extra,
    }


@contextmanager
def served(
    project: Path, env: dict[str, str], app: str = "wsgi:app", chdir: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve `app` under gunicorn with WORKERS sync workers; yield its base URL and process.

    Every server, the bare app's included, runs with the rendered project's gunicorn.conf.py
    (JSON access line per request, timeouts): identical gunicorn settings on both sides.
    """
    venv = project_venv(project)
    port = free_port()
    command = [
        str(venv / "bin" / "gunicorn"),
        "-c", str(project / "gunicorn.conf.py"),
        "-w", str(WORKERS),
        "--threads", "1",  # sync workers, whatever gunicorn.conf.py picks for in-memory limits
        "-b", f"127.0.0.1:{port}",
        app,
    ]  # fmt: skip
    log = Path(tempfile.mkstemp(prefix="bench-server-", suffix=".log")[1])
    # The config file imports the project's logging setup, so the project must be importable.
    env = {**env, "PYTHONPATH": str(project)}
    with running(command, chdir or project, env, log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/health")
        yield base, process


_projects = itertools.count()


def prepared_project(
    scratch: Path, database: str, storage: str, stack: ExitStack, template: Path = ROOT
) -> tuple:
    """Render, migrate and create the benchmark admin; return project, env and database URL."""
    name = f"{database}-{storage}-{template.name}-{next(_projects)}"
    project = bake(scratch / name, template, database=database, rate_limit_storage=storage)
    project_venv(project)
    if database == "sqlite":
        url = f"sqlite:///{scratch / f'{name}.db'}"
    else:
        url = stack.enter_context(fresh_database(database))
    env = app_env(url, "redis://127.0.0.1:6379/0" if storage == "redis" else "memory://")
    migrate_with_admin(project, env, EMAIL, PASSWORD)
    return project, env, url


def login_token(base: str) -> str:
    status, body, _ = http("POST", f"{base}/auth/login", {"email": EMAIL, "password": PASSWORD})
    assert status == 200, body
    return body["access_token"]


def worker_rss_mb(master: subprocess.Popen) -> float:
    """Largest resident set of the gunicorn workers (children of the master process)."""
    children = subprocess.run(
        ["pgrep", "-P", str(master.pid)], capture_output=True, text=True
    ).stdout.split()
    # `running` starts gunicorn directly, so its workers are the master's children.
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return round(max(sizes), 1)


def bench_overhead(rounds: int, seconds: int, scratch: Path, before: str | None) -> dict:
    """/health and an authenticated GET /users/<id> against the bare app; with `before`, the
    template at that revision is served and measured in the same interleaved rounds."""
    with ExitStack() as stack:
        templates = templates_to_measure(before, scratch, stack)
        targets = {}
        for label, template in templates.items():
            project, env, _ = prepared_project(scratch, "sqlite", "memory", stack, template)
            api, master = stack.enter_context(served(project, env))
            targets[label] = (api, login_token(api), master)
        bare, _ = stack.enter_context(served(project, {}, "bare_app:app", ROOT / "bench"))
        runs = {"bare": partial(wrk, f"{bare}/health", seconds)}
        for label, (api, token, _) in targets.items():
            runs[f"health_{label}"] = partial(wrk, f"{api}/health", seconds)
            runs[f"user_{label}"] = partial(wrk, f"{api}/users/1", seconds, token=token)
        for run in runs.values():
            run()  # warm-up
        results = interleave(rounds, **runs)
        rss = {label: worker_rss_mb(master) for label, (_, _, master) in targets.items()}
    report: dict = {"bare": summarise(results["bare"], results["bare"], None)}
    for label in templates:
        report[f"health_{label}"] = summarise(results[f"health_{label}"], results["bare"], 0.75)
        report[f"get_user_sqlite_{label}"] = summarise(
            results[f"user_{label}"], results["bare"], 0.55
        )
    report["worker_rss_mb"] = rss
    report["target_worker_rss_mb"] = 80
    return report


def summarise(runs: list[dict], bare: list[dict], target: float | None) -> dict:
    return {
        "rps": median([r["rps"] for r in runs]),
        "p50_ms": median([r["p50_ms"] for r in runs]),
        "p99_ms": median([r["p99_ms"] for r in runs]),
        "ratio_to_bare": ratio_to([r["rps"] for r in runs], [b["rps"] for b in bare]),
        "target_ratio": target,
    }


def bench_postgres_redis(rounds: int, seconds: int, scratch: Path, before: str | None) -> dict:
    """Authenticated GET /users/<id> on PostgreSQL with Redis limits, against the bare app;
    with `before`, that revision's render too, each on a database of its own."""
    with ExitStack() as stack:
        templates = templates_to_measure(before, scratch, stack)
        runs = {}
        for label, template in templates.items():
            project, env, _ = prepared_project(scratch, "postgresql", "redis", stack, template)
            api, _ = stack.enter_context(served(project, env))
            url, token = f"{api}/users/1", login_token(api)
            wrk(url, 1, token=token)
            runs[label] = partial(wrk, url, seconds, token=token)
        sqlite_project, _, _ = prepared_project(scratch, "sqlite", "memory", stack)
        bare, _ = stack.enter_context(served(sqlite_project, {}, "bare_app:app", ROOT / "bench"))
        wrk(f"{bare}/health", 1)
        results = interleave(rounds, bare=partial(wrk, f"{bare}/health", seconds), **runs)
    return {
        f"get_user_postgresql_redis_{label}": summarise(results[label], results["bare"], None)
        for label in templates
    }


def seed_users(database: Path, total: int) -> None:
    """Bulk-insert plain users until the table holds `total` rows."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(database) as conn:
        have = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        rows = ((f"seed{n}@example.com", f"Seed {n}", 30, 2, 1, now) for n in range(have, total))
        conn.executemany(
            "INSERT INTO users (email, name, age, role_id, is_active, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


def bench_scaling(rounds: int, seconds: int, scratch: Path) -> dict:
    """First and last page of GET /users on a 1,000-user and a 100,000-user table, served by
    two servers side by side so that every measurement is interleaved with the others."""
    with ExitStack() as stack:
        project, env, url = prepared_project(scratch, "sqlite", "memory", stack)
        sources = {}
        for total in (1_000, 100_000):
            database = scratch / f"users-{total}.db"
            shutil.copyfile(url.removeprefix("sqlite:///"), database)
            seed_users(database, total)
            api, _ = stack.enter_context(
                served(project, env | {"DATABASE_URL": f"sqlite:///{database}"})
            )
            sources[total] = (api, login_token(api))
        pages = {
            f"{where}_{total}": (api, token, page)
            for total, (api, token) in sources.items()
            for where, page in (("first", 1), ("last", (total + 19) // 20))
        }

        def measure(api: str, token: str, page: int) -> float:
            url = f"{api}/users?page={page}&per_page=20"
            return wrk(url, seconds, connections=1, token=token)["p50_ms"]

        for api, token, page in pages.values():
            measure(api, token, page)  # warm-up
        latencies = interleave(
            rounds,
            **{name: partial(measure, *args) for name, args in pages.items()},
        )
    base = median(latencies["first_1000"])
    return {
        "p50_ms": {name: median(values) for name, values in latencies.items()},
        "first_page_100k_over_first_page_1k": round(median(latencies["first_100000"]) / base, 2),
        "last_page_100k_over_first_page_1k": round(median(latencies["last_100000"]) / base, 2),
        "targets": {"first": 1.5, "last": 3.0},
    }


# 5. Login against its hash --------------------------------------------------------------

HASH_ALONE = """
import sys, time
from werkzeug.security import check_password_hash, generate_password_hash
stored = generate_password_hash("bench-password-123", method="pbkdf2:sha256:600000")
started = time.perf_counter()
check_password_hash(stored, "bench-password-123")
print(time.perf_counter() - started)
"""


def bench_login(rounds: int, scratch: Path) -> dict:
    with ExitStack() as stack:
        project, env, _ = prepared_project(scratch, "sqlite", "memory", stack)
        api, _ = stack.enter_context(served(project, env))
        python = str(project_venv(project) / "bin" / "python")
        login_token(api)

        def login() -> float:
            started = time.perf_counter()
            login_token(api)
            return time.perf_counter() - started

        def hash_alone() -> float:
            output = subprocess.run(
                [python, "-c", HASH_ALONE], check=True, capture_output=True, text=True
            ).stdout
            return float(output)

        results = interleave(rounds, login=login, hash=hash_alone)
    return {
        "login_s": median(results["login"]),
        "hash_alone_s": median(results["hash"]),
        "ratio": round(median(results["login"]) / median(results["hash"]), 3),
        "target_ratio": 1.1,
    }


# 6. The rendered project's own suite ----------------------------------------------------


def bench_suite(rounds: int, scratch: Path) -> dict:
    project = bake(scratch / "suite")
    pytest = str(project_venv(project) / "bin" / "pytest")
    times = [timed([pytest, "-q", "-p", "no:cacheprovider"], cwd=project) for _ in range(rounds)]
    return {"wall_s": median(times), "runs": [round(t, 2) for t in times], "target_s": 15}


PARTS = ("render", "overhead", "postgres_redis", "scaling", "login", "suite")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    parser.add_argument("--before", help="also measure the template at this git revision")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "rounds": args.rounds,
        "seconds": args.seconds,
    }
    parts = {
        "render": lambda: bench_render(args.rounds * 2, args.before),
        "overhead": lambda: bench_overhead(args.rounds, args.seconds, scratch, args.before),
        "postgres_redis": lambda: bench_postgres_redis(
            args.rounds, args.seconds, scratch, args.before
        ),
        "scaling": lambda: bench_scaling(args.rounds, max(2, args.seconds // 2), scratch),
        "login": lambda: bench_login(args.rounds * 3, scratch),
        "suite": lambda: bench_suite(3, scratch),
    }
    try:
        for name in args.only.split(","):
            print(f"== {name}", flush=True)
            results[name] = parts[name]()
            print(json.dumps(results[name], indent=2), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
