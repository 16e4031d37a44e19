"""How near bare Flask an authenticated GET /users/<id> can come on SQLite; what each part costs.

    .venv/bin/python bench/ceiling.py PROJECT [--rounds 5] [--seconds 4]

PROJECT is a render with database=sqlite and its .venv (`setup_environment=yes`). In each round,
in alternating order, every target is served under PROJECT's gunicorn.conf.py with 2 sync workers
and loaded by wrk -t1 -c8 (bench/auth_path.py serves and loads), each render on a fresh SQLite
file with its own admin's access token:

  render                 PROJECT as generated (limits on, never tripping)
  no extras              a copy whose create_app leaves out Flask-CORS and Flask-Talisman, and
                         without the observability and mail capabilities (the metrics, the
                         mail sender's hook), run with LOG_LEVEL=WARNING (no access line)
  no extras, no limits   the same with RATELIMIT_ENABLED=false
  floor, bare            bench/floor_app.py (the render's database and token), bench/bare_app.py
  bare + Flask-Limiter   bench/limiter_app.py

Printed: each target's median req/s and median ratio to bare Flask in the same round, and what
each part adds to one request in bare-Flask requests (the difference of 1 / ratio). "No extras"
is a measurement only: it drops what the reference design requires of every response.
"""

import argparse
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from auth_path import load, one_run, serve, stop
from project import server_env

BENCH = Path(__file__).resolve().parent
# What "no extras" removes: from create_app, CORS and Talisman; from the capabilities, the
# metrics (observability) and the mail sender's hook (mail). Each must match exactly once.
EXTRAS = {
    "__init__.py": (
        r"    cors\.init_app\(\n(?:        .*\n)+    \)\n",
        r"    init_security_headers\(app, talisman\)\n",
    ),
    "capabilities.py": (r'    "observability",\n', r'    "mail",\n'),
}
TARGET_RATIO = 0.30  # issue 20: the render's share of bare Flask on SQLite


def without_extras(project: Path, scratch: Path) -> Path:
    """A copy of `project`'s code (not its .venv) whose create_app skips the response extras."""
    copy = scratch / "no-extras"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".venv", ".git", "*.db"))
    for name, patterns in EXTRAS.items():
        module = copy / "app" / name
        source = module.read_text()
        for pattern in patterns:
            source, found = re.subn(pattern, "", source)
            if found != 1:
                raise SystemExit(f"app/{name} changed: {pattern!r} matched {found} times")
        module.write_text(source)
    return copy


def measure(project: Path, args: argparse.Namespace, scratch: Path) -> dict[str, list[float]]:
    copy = without_extras(project, scratch)
    quiet = {"LOG_LEVEL": "WARNING"}
    paired = argparse.Namespace(**vars(args), database_url=None, workers=2, threads=1)
    paired.floor, paired.bare = BENCH / "floor_app.py", BENCH / "bare_app.py"
    alone = argparse.Namespace(**vars(paired))
    alone.floor = alone.bare = None

    def limiter_app() -> dict[str, float]:
        env = server_env(f"sqlite:///{scratch / 'limiter.db'}")
        base, server = serve(project, "limiter_app:app", env, paired, folder=BENCH)
        try:
            return {"bare + Flask-Limiter": load(f"{base}/health", "", paired)}
        finally:
            stop(server)

    runs = {
        "render": lambda: one_run(project, {}, paired, scratch),
        "no extras": lambda: {"no extras": one_run(copy, quiet, alone, scratch)["render"]},
        "no extras, no limits": lambda: {
            "no extras, no limits": one_run(
                copy, {**quiet, "RATELIMIT_ENABLED": "false"}, alone, scratch
            )["render"]
        },
        "bare + Flask-Limiter": limiter_app,
    }
    results: dict[str, list[float]] = {}
    for index in range(args.rounds):
        names = list(runs) if index % 2 == 0 else list(reversed(runs))
        for name in names:
            for label, value in runs[name]().items():
                results.setdefault(label, []).append(value)
    return results


def report(results: dict[str, list[float]]) -> None:
    bare = results["bare"]
    ratios = {
        name: statistics.median(v / b for v, b in zip(values, bare, strict=True))
        for name, values in results.items()
    }
    for name, values in results.items():
        print(f"{name:<22} {statistics.median(values):8.1f} req/s   {ratios[name]:.3f} of bare")
    units = {name: 1 / ratio for name, ratio in ratios.items()}
    target = f"target {1 / TARGET_RATIO:.2f}, {TARGET_RATIO} of bare"
    print(f"\nOne request, in bare-Flask requests ({target}):")
    steps = (
        ("the floor's own work (PyJWT, one query)", "floor", "bare"),
        ("Flask-Limiter on bare Flask", "bare + Flask-Limiter", "bare"),
        ("the render's own work beyond the floor", "no extras, no limits", "floor"),
        ("Flask-Limiter in the render", "no extras", "no extras, no limits"),
        ("CORS, Talisman, metrics, access line", "render", "no extras"),
        ("the render as generated", "render", None),
        ("the render with free extras", "no extras", None),
    )
    for label, name, base in steps:
        cost = units[name] - (units[base] if base else 0)
        print(f"  {label:<42} {cost:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    project = args.project.resolve()
    args.python = str(project / ".venv" / "bin" / "python")
    del args.project
    with tempfile.TemporaryDirectory(prefix="ceiling-") as scratch:
        report(measure(project, args, Path(scratch)))


if __name__ == "__main__":
    main()
