"""Where one gunicorn worker spends its time on an authenticated GET /users/<id>, gunicorn included.

    .venv/bin/python bench/worker_profile.py PROJECT [--seconds 15] [--top 60] [--match REGEX]
        [--database-url URL] [--storage-uri URI] [--keep FILE]

PROJECT is a rendered project with its .venv (`setup_environment=yes`). It is served as the
benchmarks serve it (bench/project.py: production settings, limits on and never tripping, 2 sync
workers, the project's gunicorn.conf.py) on a fresh SQLite file with its counters in another,
or on --database-url (a render for that database; created if missing) and --storage-uri (such
as redis://127.0.0.1:6379/0), loaded by wrk -t2 -c8, and py-spy (`pip install py-spy`; not a
pinned tool of this template) samples one worker at 200 Hz. Printed: each function's share of
the samples of the worker's main thread (the one serving requests; the mail sender's thread,
mostly waiting, is left out), callees included, highest first, or only the functions whose name
or file matches REGEX. Unlike bench/request_costs.py (cProfile, in process), this sees
gunicorn's own work and costs the worker little.
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from project import add_admin, app_env, login_token, run, served, worker_pids

# Every sample of the thread that serves requests has this frame (gunicorn's worker start).
MAIN_THREAD = "Worker.init_process (gunicorn/workers/base.py)"


def frame_name(frame: str) -> str:
    """`function (path/to/file.py:12)` -> `function (file or package path)`, without the line."""
    name = re.sub(r":\d+\)$", ")", frame)
    return re.sub(r" \((?:/[^)]*/)?(?:site-packages/)?", " (", name)


def shares(raw: Path) -> tuple[int, int, collections.Counter[str]]:
    """Samples of the worker's main thread (the one gunicorn serves requests on), samples of its
    other threads (the mail sender's, mostly waiting), and the main thread's samples per
    function, counting each function once per stack."""
    main_thread, others, inclusive = 0, 0, collections.Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = {frame_name(f) for f in stack.split(";")}
        if not any(name.startswith(MAIN_THREAD) for name in frames):
            others += int(count)
            continue
        main_thread += int(count)
        inclusive.update(dict.fromkeys(frames, int(count)))
    return main_thread, others, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--match", help="only functions whose name or file matches")
    parser.add_argument("--database-url", help="a server database (created if missing)")
    parser.add_argument("--storage-uri", help="rate-limit counters (default: a SQLite file)")
    parser.add_argument("--keep", type=Path, help="also copy py-spy's raw samples there")
    args = parser.parse_args()
    project = args.project.resolve()
    if not (shutil.which("py-spy") and shutil.which("wrk")):
        sys.exit("needs py-spy (pip install py-spy) and wrk (apt-get install wrk) on PATH")
    with tempfile.TemporaryDirectory(prefix="worker-profile-") as scratch:
        env = app_env(args.database_url or f"sqlite:///{scratch}/bench.db", "memory")
        env["RATELIMIT_STORAGE_URI"] = args.storage_uri or f"sqlite:///{scratch}/limits.sqlite3"
        if args.database_url:
            run([str(project / ".venv" / "bin" / "flask"), "db", "create"], project, env)
        add_admin(project, env)
        raw = Path(scratch) / "samples.txt"
        with served(project, env) as (base, master):
            token, user = login_token(base)
            seconds = args.seconds + 5
            wrk = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-H", f"Authorization: Bearer {token}"]
            load = subprocess.Popen([*wrk, f"{base}/users/{user}"], stdout=subprocess.DEVNULL)
            time.sleep(2)  # past the first connections
            spy = ["py-spy", "record", "-p", str(worker_pids(master)[0]), "-r", "200"]
            spy += ["-d", str(args.seconds), "-f", "raw", "-o", str(raw)]
            subprocess.run(spy, check=True, capture_output=True)
            load.wait()
        if args.keep:
            shutil.copyfile(raw, args.keep)
        total, others, inclusive = shares(raw)
    print(f"{total} samples of one worker's main thread ({others} of its other threads left out);")
    print("each function's share of them, callees included")
    rows = inclusive.most_common()
    if args.match:
        rows = [(name, n) for name, n in rows if re.search(args.match, name)]
    for name, n in rows[: args.top]:
        print(f"{100 * n / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
