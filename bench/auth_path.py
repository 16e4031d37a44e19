"""Requests per second of an authenticated GET /users/<id>: renders side by side under gunicorn.

    .venv/bin/python bench/auth_path.py NAME=PROJECT[,VAR=VALUE...] ... [--python PY]
        [--database-url URL] [--workers 2] [--threads 1] [--rounds 3] [--seconds 6]

Each NAME is a rendered PROJECT (with extra environment after commas, such as
RATELIMIT_STORAGE_URI=..., and workers=N or threads=N for its gunicorn alone). For each round,
in alternating order, every project is migrated on a fresh database (a SQLite file, or
--database-url's server database, emptied first), an admin logs in, and wrk -t1 -c8 loads
`gunicorn -w WORKERS --threads THREADS` (sync workers for one thread) with that admin's access
token. Limits stay on, with ceilings that never trip. Printed: the median req/s of each and its
median ratio to the first NAME, round by round; with --floor or --bare, that app runs right after
each render, on the same database and token, and each render's ratio to it. Every server runs
under its project's gunicorn.conf.py (the floor and bare Flask under the render's).
"""

import argparse
import json
import re
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from project import EMAIL, PASSWORD, server_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(url: str, body: dict | None = None, token: str = "") -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(url: str, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            call(url)
            return
        except urllib.error.HTTPError:
            return  # it answers, if not with a 200
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def empty_server_database(python: str, url: str) -> None:
    script = (
        "import sys; from sqlalchemy import create_engine, MetaData\n"
        "e = create_engine(sys.argv[1]); m = MetaData(); m.reflect(e); m.drop_all(e)\n"
        "with e.begin() as c: c.exec_driver_sql('DROP TABLE IF EXISTS alembic_version')\n"
    )
    subprocess.run([python, "-c", script, url], check=True, capture_output=True)


def one_run(
    project: Path, extra: dict[str, str], args: argparse.Namespace, scratch: Path
) -> dict[str, float]:
    python = args.python or str(project / ".venv" / "bin" / "python")
    url = args.database_url or f"sqlite:///{scratch / f'bench-{time.monotonic_ns()}.db'}"
    env = server_env(url, extra)
    if args.database_url:
        empty_server_database(python, url)
    flask = [python, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=project, env=env, check=True, capture_output=True)
    admin = ["users", "create-admin", "--email", EMAIL, "--name", "Bench", "--password", PASSWORD]
    subprocess.run([*flask, *admin], cwd=project, env=env, check=True, capture_output=True)
    # workers=N and threads=N among a target's pairs override --workers and --threads for it.
    own = argparse.Namespace(**vars(args))
    own.workers = int(env.pop("workers", args.workers))
    own.threads = int(env.pop("threads", args.threads))
    base, server = serve(project, "wsgi:app", env, own)
    try:
        login = call(f"{base}/auth/login", {"email": EMAIL, "password": PASSWORD})
        token, user_id = login["access_token"], login["user"]["id"]
        assert call(f"{base}/users/{user_id}", token=token)["id"] == user_id
        results = {"render": load(f"{base}/users/{user_id}", token, args)}
    finally:
        stop(server)
    # The hand-written floor and bare Flask, right after, on the same database and token.
    for name, app, path in (
        ("floor", args.floor, f"/users/{user_id}"),
        ("bare", args.bare, "/health"),
    ):
        if app is not None:
            base, server = serve(project, f"{app.stem}:app", env, args, folder=app.parent)
            try:
                results[name] = load(f"{base}{path}", token, args)
            finally:
                stop(server)
    return results


def serve(
    project: Path,
    app: str,
    env: dict[str, str],
    args: argparse.Namespace,
    folder: Path | None = None,
):
    """Serve `app` from `folder` (default: `project`) under `project`'s gunicorn.conf.py, so a
    render, the floor and bare Flask run with the same gunicorn settings."""
    python = args.python or str(project / ".venv" / "bin" / "python")
    port = free_port()
    gunicorn = [python, "-m", "gunicorn", "-c", str(project / "gunicorn.conf.py")]
    gunicorn += ["-w", str(args.workers), "--threads", str(args.threads)]
    gunicorn += ["-k", "sync" if args.threads == 1 else "gthread", "-b", f"127.0.0.1:{port}"]
    # The config file imports the project's settings, so the project must be importable.
    env = {**env, "PYTHONPATH": str(project)}
    server = subprocess.Popen(
        [*gunicorn, app], cwd=folder or project, env=env, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health" if app == "wsgi:app" else base, server)
    except BaseException:
        stop(server)
        raise
    return base, server


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def load(url: str, token: str, args: argparse.Namespace) -> float:
    command = ["wrk", "-t1", "-c8", f"-d{args.seconds}s", "-H", f"Authorization: Bearer {token}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url}: some answers were not 2xx:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", help="NAME=PROJECT[,VAR=VALUE...]")
    parser.add_argument("--python", help="interpreter with the projects' requirements")
    parser.add_argument("--database-url", help="a server database (emptied before each run)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--floor", type=Path, help="a floor app (module with `app`), run after each"
    )
    parser.add_argument("--bare", type=Path, help="a bare Flask app (bench/bare_app.py)")
    parser.add_argument("--seconds", type=int, default=6)
    args = parser.parse_args()
    targets: dict[str, tuple[Path, dict[str, str]]] = {}
    for target in args.targets:
        name, _, rest = target.partition("=")
        path, *pairs = rest.split(",")
        targets[name] = (Path(path).resolve(), dict(pair.split("=", 1) for pair in pairs))
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="auth-path-") as scratch:
        for index in range(args.rounds):
            names = list(targets) if index % 2 == 0 else list(reversed(targets))
            for name in names:
                project, extra = targets[name]
                for part, value in one_run(project, extra, args, Path(scratch)).items():
                    label = name if part == "render" else f"{part} (with {name})"
                    results.setdefault(label, []).append(value)
    first = next(iter(targets))
    for name, values in results.items():
        ratios = [value / base for value, base in zip(values, results[first], strict=True)]
        print(
            f"{name:<28} median {statistics.median(values):8.1f} req/s   "
            f"x{statistics.median(ratios):.2f} of {first}   rounds: {[round(v) for v in values]}"
        )
    for name in targets:
        for part in ("floor", "bare"):
            label = f"{part} (with {name})"
            if label in results:
                ratios = [r / b for r, b in zip(results[name], results[label], strict=True)]
                print(f"{name} / {part}: median of rounds x{statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
