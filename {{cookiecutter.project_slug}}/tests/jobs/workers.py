"""Real Celery workers and beat for the tests, as `make worker` and `make beat` run them, in
production mode on the test database; each writes its log to a file the test can read."""

import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT, production_settings, wait_for

CELERY = [sys.executable, "-m", "celery", "-A", "app.jobs.worker"]


def settings(broker: dict[str, str], **extra: str) -> dict[str, str]:
    """Production settings on the test database and `broker`, plus `extra`."""
    return production_settings(**broker, LOG_LEVEL="INFO", **extra)


def start(
    processes: list[subprocess.Popen[str]], command: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[str]:
    with log.open("a") as output:
        process = subprocess.Popen(  # noqa: S603 - the tests' own commands
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    processes.append(process)
    return process


def start_worker(
    processes: list[subprocess.Popen[str]], env: dict[str, str], log: Path, name: str = "w1"
) -> subprocess.Popen[str]:
    """A worker named `name`, once it says it is ready (mingle and gossip off: no neighbours
    to wait for)."""
    command = [*CELERY, "worker", "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
    worker = start(processes, [*command, "--hostname", f"{name}@%h"], env, log)
    wait_for(lambda: " ready." in log.read_text() or worker.poll() is not None, f"{name} to start")
    assert worker.poll() is None, log.read_text()
    return worker


def start_beat(
    processes: list[subprocess.Popen[str]], env: dict[str, str], folder: Path
) -> subprocess.Popen[str]:
    """Beat, with its schedule file in `folder` (never another run's)."""
    schedule = str(folder / "beat-schedule")
    command = [*CELERY, "beat", "--loglevel", "INFO", "--schedule", schedule]
    command += ["--enable-remote-control"]  # as it runs in the image: its probe pings it
    return start(processes, command, env, folder / "beat.log")
