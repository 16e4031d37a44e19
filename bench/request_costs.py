"""What each part of an authenticated GET /users/<id> costs, in microseconds per request.

    .venv/bin/python bench/request_costs.py NAME=PROJECT[,VAR=VALUE...] ... [--python PY]
        [--requests 3000] [--rounds 3]

Each PROJECT is a rendered project (extra environment after commas, such as
RATELIMIT_STORAGE_URI=sqlite:///...) run by --python (default: its own .venv). For each, a fresh
SQLite file is migrated, an admin logs in, and the production app (limits in memory unless told
otherwise, set high so they never trip) answers REQUESTS in-process requests through Flask's
test client under cProfile. Projects run interleaved, ROUNDS times; every figure printed
is the median over the rounds of (cumulative seconds of that part) / REQUESTS. cProfile inflates
every figure alike; compare them with each other, not with wrk's.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from project import EMAIL, PASSWORD, server_env

# (label, file path fragment, function name): the outermost matching entry's cumulative time.
PARTS = (
    ("whole request (test client)", "flask/testing.py", "open"),
    ("token check (app/core/api.py)", "app/core/api.py", "authenticate"),
    ("  JWT decode (PyJWT's jwt.decode)", "jwt/api_jwt.py", "decode"),
    ("  session -> user (user_of_session)", "app/auth/service.py", "user_of_session"),
    ("rate limits (Flask-Limiter's check)", "flask_limiter/_extension.py", "_check_request_limit"),
    ("  storage and strategy (limits)", "site-packages/limits/", None),
    ("  thread starts (threading.Thread.start)", "threading.py", "start"),
    ("access log (app/core/logging.py)", "app/core/logging.py", None),
    ("security headers (Flask-Talisman)", "flask_talisman/", None),
    ("metrics (app/observability/metrics.py)", "app/observability/metrics.py", None),
    ("session teardown (Flask-SQLAlchemy)", "flask_sqlalchemy/session.py", None),
    ("response body (marshmallow dump)", "marshmallow/schema.py", "dump"),
)  # fmt: skip


def in_process(requests: int) -> None:
    """Run in the render's interpreter, from its folder: print {part: seconds} as JSON."""
    import cProfile
    import io
    import pstats
    import re

    from app import create_app

    client = create_app().test_client()
    login = client.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    token = login.get_json()["access_token"]
    user_id = login.get_json()["user"]["id"]
    url, headers = f"/users/{user_id}", {"Authorization": f"Bearer {token}"}
    for _ in range(200):  # warm-up: imports, compiled statements, pooled connection
        assert client.get(url, headers=headers).status_code == 200
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url, headers=headers)
    profiler.disable()
    found: dict[str, float] = {}
    for label, path, function in PARTS:
        # pstats prints "ncalls tottime percall cumtime percall file:line(function)" rows; sorted
        # by cumulative time, the first row matching is the outermost entry of that part.
        name = re.escape(function) if function else "[^)]*"
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(rf"{re.escape(path)}[^:]*:\d+\({name}\)", 1)
        row = re.search(r"^\s*[\d/]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s", out.getvalue(), re.M)
        found[label] = float(row.group(1)) if row else 0.0
    print(json.dumps(found))


def measure(project: Path, extra: dict[str, str], python: str, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="request-costs-") as scratch:
        memory = {"RATELIMIT_STORAGE_URI": "memory://"}
        env = server_env(f"sqlite:///{Path(scratch) / 'bench.db'}", {**memory, **extra})
        env["PYTHONPATH"] = str(project)
        flask = [python, "-m", "flask"]
        for command in (
            ["db", "upgrade"],
            ["users", "create-admin", "--email", EMAIL, "--name", "Bench", "--password", PASSWORD],
        ):
            subprocess.run(
                [*flask, *command], cwd=project, env=env, check=True, capture_output=True
            )
        result = subprocess.run(
            [python, __file__, "--in-process", str(requests)],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            sys.exit(result.stderr[-4000:])
        return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="NAME=PROJECT[,VAR=VALUE...]")
    parser.add_argument("--python", help="interpreter with the projects' requirements")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-process", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        in_process(args.in_process)
        return
    targets: dict[str, tuple[Path, dict[str, str]]] = {}
    for target in args.targets:
        name, _, rest = target.partition("=")
        path, *pairs = rest.split(",")
        targets[name] = (Path(path).resolve(), dict(pair.split("=", 1) for pair in pairs))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for index in range(args.rounds):
        names = list(targets) if index % 2 == 0 else list(reversed(targets))
        for name in names:
            project, extra = targets[name]
            python = args.python or str(project / ".venv" / "bin" / "python")
            runs[name].append(measure(project, extra, python, args.requests))
    width = max(len(label) for label, *_ in PARTS)
    print(f"us per request, median of {args.rounds} rounds of {args.requests} requests (cProfile)")
    print(f"{'':<{width}}" + "".join(f"{name:>14}" for name in targets))
    for label, *_ in PARTS:
        cells = "".join(
            f"{statistics.median(r[label] for r in runs[name]) / args.requests * 1e6:>14.0f}"
            for name in targets
        )
        print(f"{label:<{width}}{cells}")


if __name__ == "__main__":
    main()
