"""Where an authenticated GET /users/<id> of a render spends its time (issue 20, item 2).

    .venv/bin/python bench/profile_request.py                  # render sqlite+memory, cProfile
    .venv/bin/python bench/profile_request.py --project DIR    # a render with its .venv set up
    .venv/bin/python bench/profile_request.py --py-spy 20      # also sample a worker under wrk

cProfile: REQUESTS in-process requests through Flask's test client, the app built by the render's
`create_app` with the production config (limits in memory, set high; a SQLite file). py-spy:
`py-spy record` of one of two sync gunicorn workers while wrk loads them. Each prints the share
of the request that GROUPS name; cProfile also its TOP cumulative entries. Not named profile.py:
that would shadow the standard library module cProfile imports.
"""

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from project import (
    EMAIL,
    PASSWORD,
    TOOLS,
    WORKERS,
    add_admin,
    app_env,
    login_token,
    prepared,
    served,
    worker_pids,
)

# (label, file path fragment, function name or None for any function of that file or folder).
GROUPS = (
    ("Flask-JWT-Extended, token check included", "flask_jwt_extended/view_decorators.py",
     "verify_jwt_in_request"),
    ("  token check (user_of_session, SQLAlchemy)", "app/auth/service.py",
     "user_of_session"),
    ("  JWT decode (PyJWT)", "jwt/api_jwt.py", "decode_complete"),
    ("rate limits (Flask-Limiter, limits)", "flask_limiter/", None),
    ("logging (Logger.handle)", "logging/__init__.py", "handle"),
    ("security headers (Flask-Talisman)", "flask_talisman/", None),
    ("metrics (app/core/metrics.py)", "app/core/metrics.py", None),
    ("response body (marshmallow dump)", "marshmallow/schema.py", "dump"),
)  # fmt: skip
# The whole request as the test client sends it.
REQUEST = ("flask/testing.py", "open")


def pstats_pattern(path: str, function: str | None) -> str:
    """The regular expression pstats matches against "file:line(function)"."""
    return rf"{re.escape(path)}[^:]*:\d+\({re.escape(function) if function else '[^)]*'}\)"


def pyspy_pattern(path: str, function: str | None) -> str:
    """The same for a py-spy frame, "Class.function (file:line)"."""
    name = rf"(?:[^;( ]*\.)?{re.escape(function)}" if function else "[^;(]*"
    return rf"(?:^|;){name} \([^;]*{re.escape(path)}"


def cumulative(profiler: cProfile.Profile, path: str, function: str | None) -> float | None:
    """Seconds of the outermost entry matching the pattern (its cumulative time), or None."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(pstats_pattern(path, function), 1)
    # pstats' columns: ncalls tottime percall cumtime percall file:line(function)
    row = re.search(r"^\s*[\d/]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s", out.getvalue(), re.M)
    return float(row.group(1)) if row else None


def profile_in_process(requests: int, top: int) -> None:
    """Run in the render's interpreter, from the project folder, with app_env's settings."""
    from app import create_app

    client = create_app().test_client()
    login = client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    token = login.get_json()["access_token"]
    claims = token.split(".")[1]
    user = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]
    url, headers = f"/users/{user}", {"Authorization": f"Bearer {token}"}
    for _ in range(100):  # warm-up: imports, compiled statements, first connection
        assert client.get(url, headers=headers).status_code == 200
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url, headers=headers)
    profiler.disable()
    total = cumulative(profiler, *REQUEST)
    print(f"cProfile, {requests} requests of GET {url}: {total / requests * 1e6:.0f} us each")
    for label, path, function in GROUPS:
        seconds = cumulative(profiler, path, function)
        if seconds is None:
            print(f"  {label:<46} (not seen)")
        else:
            print(f"  {label:<46} {seconds / requests * 1e6:6.0f} us {seconds / total:6.1%}")
    print(f"\nTop {top} entries by cumulative time (seconds over all {requests} requests):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def run_cprofile(project: Path, env: dict[str, str], requests: int, top: int) -> None:
    python = str(project / ".venv" / "bin" / "python")
    command = [python, __file__, "--in-process", "--requests", str(requests), "--top", str(top)]
    # The app's JSON log lines go to stderr: kept out of the report, shown if the run fails.
    result = subprocess.run(
        command,
        cwd=project,
        env={**os.environ, **env, "PYTHONPATH": str(project)},
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(result.stderr[-4000:])


def run_pyspy(project: Path, env: dict[str, str], seconds: int, scratch: Path) -> None:
    """Sample one worker while wrk loads both; print each group's share of the samples."""
    raw = scratch / "py-spy.txt"
    with served(project, env) as (api, master):
        token, user = login_token(api)
        url = f"{api}/users/{user}"
        load = ["wrk", "-t1", "-c8", f"-d{seconds + 4}s", "-H", f"Authorization: Bearer {token}"]
        with subprocess.Popen([*load, url], stdout=subprocess.DEVNULL) as wrk:
            record = [str(TOOLS / "py-spy"), "record", "--nonblocking", "--rate", "100"]
            record += ["--pid", str(worker_pids(master)[0]), "--duration", str(seconds)]
            subprocess.run(
                [*record, "--format", "raw", "--output", str(raw)], check=True, capture_output=True
            )
            wrk.terminate()
    stacks = [line.rsplit(" ", 1) for line in raw.read_text().splitlines() if line.strip()]
    samples = sum(int(count) for _, count in stacks)
    print(f"\npy-spy, one of {WORKERS} sync workers under wrk -c8, {samples} samples at 100 Hz:")
    for label, path, function in GROUPS:
        pattern = re.compile(pyspy_pattern(path, function))
        hits = sum(int(count) for stack, count in stacks if pattern.search(stack))
        print(f"  {label:<46} {hits / samples:6.1%}")


@contextmanager
def project_to_profile(given: str | None, scratch: Path) -> Iterator[tuple[Path, dict]]:
    """The project given, on a fresh SQLite file, or a new render with its own."""
    if given is None:
        with prepared(scratch, "sqlite", "memory") as (project, env):
            yield project, env
        return
    project = Path(given).resolve()
    env = app_env(f"sqlite:///{scratch / 'profile.db'}", "memory")
    add_admin(project, env)
    yield project, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", help="a rendered project whose .venv is set up")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--py-spy", type=int, default=0, metavar="SECONDS")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        profile_in_process(args.requests, args.top)
        return
    scratch = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        with project_to_profile(args.project, scratch) as (project, env):
            run_cprofile(project, env, args.requests, args.top)
            if args.py_spy:
                run_pyspy(project, env, args.py_spy, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
