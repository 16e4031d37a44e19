"""Benchmark the template and the service it renders; see README "Benchmarks".

Every comparison is measured side by side in one run, interleaved (A, B, A, B, ...), and each
figure is the median over the rounds. Load comes from wrk on loopback, bounded in time.

    .venv/bin/python bench/run.py                # everything, results in bench/results.json
    .venv/bin/python bench/run.py --only render  # one part
    .venv/bin/python bench/run.py --only jobs --output /tmp/jobs.json
"""

import argparse
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

from project import (
    ROOT,
    bake,
    login_token,
    postgres_database,
    prepared,
    rss_mb,
    served,
    worker_pids,
)

BENCH = ROOT / "bench"
COOKIECUTTER = str(ROOT / ".venv" / "bin" / "cookiecutter")
# What `make bench` reports as pass or short (issue 20): the render's share of the floor's
# requests/s on PostgreSQL with Redis, and of bare Flask's on SQLite with in-memory limits.
FLOOR_TARGETS = {"postgresql_redis": ("floor", 0.40), "sqlite_memory": ("bare", 0.30)}


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


def worker_rss_mb(master: subprocess.Popen) -> float:
    """Largest resident set of the gunicorn workers."""
    return round(max(rss_mb(pid) for pid in worker_pids(master)), 1)


def summary(runs: list[dict]) -> dict:
    return {key: median([run[key] for run in runs]) for key in ("rps", "p50_ms", "p99_ms")}


def rps_ratio(runs: list[dict], base: list[dict]) -> float:
    return ratio_to([run["rps"] for run in runs], [run["rps"] for run in base])


def bench_overhead(rounds: int, seconds: int, scratch: Path, before: str | None) -> dict:
    """/health against the bare app; with `before`, the template at that revision is served
    and measured in the same interleaved rounds."""
    with ExitStack() as stack:
        masters, runs = {}, {}
        for label, template in templates_to_measure(before, scratch, stack).items():
            project, env = stack.enter_context(prepared(scratch, "sqlite", "memory", template))
            api, masters[label] = stack.enter_context(served(project, env))
            runs[f"health_{label}"] = partial(wrk, f"{api}/health", seconds)
        bare, _ = stack.enter_context(served(project, env, "bare_app:app", BENCH))
        runs["bare"] = partial(wrk, f"{bare}/health", seconds)
        for run in runs.values():
            run()  # warm-up
        results = interleave(rounds, **runs)
        rss = {label: worker_rss_mb(master) for label, master in masters.items()}
    report: dict = {"bare": summary(results["bare"])}
    for label in masters:
        health = results[f"health_{label}"]
        report[f"health_{label}"] = {
            **summary(health),
            "ratio_to_bare": rps_ratio(health, results["bare"]),
            "target_ratio": 0.75,
        }
    return {**report, "worker_rss_mb": rss, "target_worker_rss_mb": 80}


def bench_floor(rounds: int, seconds: int, scratch: Path, before: str | None) -> dict:
    """Authenticated GET of one's own user: the render against the floor app on the same
    database and token, and against bare Flask's /health, on SQLite with in-memory limits and on
    PostgreSQL with Redis; with `before`, that revision's render too, on a database of its own.
    Every server runs under the same gunicorn settings, all in the same interleaved rounds."""
    backends = {"sqlite_memory": ("sqlite", "memory"), "postgresql_redis": ("postgresql", "redis")}
    with ExitStack() as stack:
        runs = {}
        templates = templates_to_measure(before, scratch, stack)
        for backend, (database, storage) in backends.items():
            for label, template in templates.items():
                project, env = stack.enter_context(prepared(scratch, database, storage, template))
                api, _ = stack.enter_context(served(project, env))
                token, user = login_token(api)
                runs[f"{backend}_{label}"] = partial(
                    wrk, f"{api}/users/{user}", seconds, connections=8, token=token
                )
                if label == "after":
                    floor, _ = stack.enter_context(served(project, env, "floor_app:app", BENCH))
                    runs[f"{backend}_floor"] = partial(
                        wrk, f"{floor}/users/{user}", seconds, connections=8, token=token
                    )
        bare, _ = stack.enter_context(served(project, env, "bare_app:app", BENCH))
        runs["bare"] = partial(wrk, f"{bare}/health", seconds, connections=8)
        for run in runs.values():
            run()  # warm-up; also proves every target answers 200 with this token
        results = interleave(rounds, **runs)
    report: dict = {"bare": summary(results["bare"])}
    for backend in backends:
        floor = results[f"{backend}_floor"]
        report[f"{backend}_floor"] = {
            **summary(floor),
            "ratio_to_bare": rps_ratio(floor, results["bare"]),
        }
        for label in templates:
            render = results[f"{backend}_{label}"]
            ratios = {
                "floor": rps_ratio(render, floor),
                "bare": rps_ratio(render, results["bare"]),
            }
            base, target = FLOOR_TARGETS[backend]
            report[f"{backend}_{label}"] = {
                **summary(render),
                "ratio_to_floor": ratios["floor"],
                "ratio_to_bare": ratios["bare"],
                f"target_ratio_to_{base}": target,
                "verdict": "pass" if ratios[base] >= target else "short",
            }
            verdict = report[f"{backend}_{label}"]["verdict"]
            print(f"{backend} {label}: {ratios[base]:.3f} of {base} (target {target}): {verdict}")
    return report


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
        project, env = stack.enter_context(prepared(scratch, "sqlite", "memory"))
        url = env["DATABASE_URL"]
        sources = {}
        for total in (1_000, 100_000):
            database = scratch / f"users-{total}.db"
            shutil.copyfile(url.removeprefix("sqlite:///"), database)
            seed_users(database, total)
            api, _ = stack.enter_context(
                served(project, env | {"DATABASE_URL": f"sqlite:///{database}"})
            )
            sources[total] = (api, login_token(api)[0])
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
        project, env = stack.enter_context(prepared(scratch, "sqlite", "memory"))
        api, _ = stack.enter_context(served(project, env))
        python = str(project / ".venv" / "bin" / "python")
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
    project = bake(scratch / "suite", setup_environment=True)
    pytest = str(project / ".venv" / "bin" / "pytest")
    times = [timed([pytest, "-q", "-p", "no:cacheprovider"], cwd=project) for _ in range(rounds)]
    return {"wall_s": median(times), "runs": [round(t, 2) for t in times], "target_s": 15}


# 7. All capabilities on against all off ---------------------------------------------------

CAPABILITIES = (
    "use_two_factor",
    "use_api_keys",
    "use_audit_log",
    "use_account_emails",
    "use_observability",
)
# Goals for the render with every capability off (issue 29).
ALL_OFF_TARGETS = {"app_lines": 2800, "suite_s": 20, "worker_rss_mb": 60}


def code_size(project: Path) -> dict:
    """Lines and Python files under app/, runtime pins, and .venv's size."""
    files = list((project / "app").rglob("*.py"))
    pins = [
        line
        for line in (project / "requirements.txt").read_text().splitlines()
        if line and not line[0].isspace() and not line.startswith("#")
    ]
    venv = subprocess.run(
        ["du", "-sk", str(project / ".venv")], check=True, capture_output=True, text=True
    )
    return {
        "app_lines": sum(len(path.read_text().splitlines()) for path in files),
        "app_python_files": len(files),
        "runtime_pins": len(pins),
        "venv_mb": round(int(venv.stdout.split()[0]) / 1024, 1),
    }


def suite_time(project: Path, database: str, stack: ExitStack, runs: int = 2) -> float:
    """The median wall time of `project`'s own suite, on an empty database of its own."""
    env = {**os.environ}
    if database == "postgresql":
        env["TEST_DATABASE_URL"] = stack.enter_context(postgres_database())
        env["TEST_RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
    pytest = [str(project / ".venv" / "bin" / "pytest"), "-q", "-p", "no:cacheprovider"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(pytest, cwd=project, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{project}: its suite failed:\n{done.stdout[-3000:]}")
        times.append(time.perf_counter() - started)
    return median(times)


def bench_capabilities(rounds: int, seconds: int, scratch: Path) -> dict:
    """Every capability on (the defaults) against every one off, on SQLite with in-memory limits
    and on PostgreSQL with Redis: the render's size, render and set-up time, worker RSS, its own
    suite's wall time, and an authenticated GET /users/<id> as a share of bare Flask's /health,
    all servers in the same interleaved rounds."""
    backends = {"sqlite_memory": ("sqlite", "memory"), "postgresql_redis": ("postgresql", "redis")}
    variants = {"all_on": {}, "all_off": dict.fromkeys(CAPABILITIES, False)}
    report: dict = {}
    with ExitStack() as stack:
        runs, masters, projects = {}, {}, {}
        for backend, (database, storage) in backends.items():
            for variant, answers in variants.items():
                label = f"{backend}_{variant}"
                started = time.perf_counter()
                project, env = stack.enter_context(prepared(scratch, database, storage, **answers))
                report[label] = {
                    "render_and_setup_s": round(time.perf_counter() - started, 2),
                    **code_size(project),
                }
                projects[label] = (project, database)
                api, masters[label] = stack.enter_context(served(project, env))
                token, user = login_token(api)
                runs[label] = partial(
                    wrk, f"{api}/users/{user}", seconds, connections=8, token=token
                )
        bare, _ = stack.enter_context(served(project, env, "bare_app:app", BENCH))
        runs["bare"] = partial(wrk, f"{bare}/health", seconds, connections=8)
        for run in runs.values():
            run()  # warm-up; also proves every target answers 200 with this token
        results = interleave(rounds, **runs)
        for label, master in masters.items():
            report[label]["worker_rss_mb"] = worker_rss_mb(master)
            report[label]["ratio_to_bare"] = rps_ratio(results[label], results["bare"])
        for label, (project, database) in projects.items():
            report[label]["suite_s"] = suite_time(project, database, stack)
    report["all_off_targets"] = ALL_OFF_TARGETS
    return report


def bench_audit() -> dict:
    """The audit log's cost on login and an authenticated request (with it and without it), its
    pages at 1,000,000 events, and a seal and a verify over them.

    Login with and without the log: `bench/audit_cost.py --before REV`, with REV a revision of
    the current layout from before the log (4252c0e); older layouts are not supported there.
    """
    command = [sys.executable, str(ROOT / "bench" / "audit_cost.py")]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def bench_jobs() -> dict:
    """A password-reset mail's time to the SMTP server and the deliverers' memory, with
    background_jobs=none beside celery (bench/jobs_cost.py, whose progress shows on stderr)."""
    command = [sys.executable, str(ROOT / "bench" / "jobs_cost.py")]
    result = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(result.stdout)


PARTS = (
    "render",
    "overhead",
    "floor",
    "scaling",
    "login",
    "suite",
    "audit",
    "capabilities",
    "jobs",
)
# The parts whose load comes from wrk.
LOADED_PARTS = {"overhead", "floor", "scaling", "capabilities"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    parser.add_argument("--before", help="also measure the template at this git revision")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    if set(args.only.split(",")) & LOADED_PARTS and not shutil.which("wrk"):
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
        "floor": lambda: bench_floor(args.rounds, args.seconds, scratch, args.before),
        "scaling": lambda: bench_scaling(args.rounds, max(2, args.seconds // 2), scratch),
        "login": lambda: bench_login(args.rounds * 3, scratch),
        "suite": lambda: bench_suite(3, scratch),
        "audit": bench_audit,
        "capabilities": lambda: bench_capabilities(args.rounds, args.seconds, scratch),
        "jobs": bench_jobs,
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
