"""`python -m app.jobs.probe worker|beat`, the containers' health checks and liveness probes,
against a real worker and beat on a real broker."""

import subprocess
import sys

from tests.jobs.workers import settings, start_beat, start_worker
from tests.processes import ROOT, wait_for


def probe(check: str, env: dict[str, str]) -> int:
    return probes(env, check)[0]


def probes(env: dict[str, str], *checks: str) -> tuple[int, ...]:
    """The exit status of each check, run side by side (a check that fails waits its timeout)."""
    running = [
        subprocess.Popen(  # noqa: S603 - the project's own module
            [sys.executable, "-m", "app.jobs.probe", check],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for check in checks
    ]
    return tuple(process.wait(timeout=60) for process in running)


def test_each_probe_passes_while_its_process_runs_and_fails_once_it_stops(
    processes, broker, tmp_path
):
    env = settings(broker)
    # The node name the probe pings: Celery's default, as the image runs the worker.
    worker = start_worker(processes, env, tmp_path / "worker.log", name="celery")
    beat = start_beat(processes, env, tmp_path)
    wait_for(lambda: probe("beat", env) == 0, "beat to answer", 60)
    running = probes(env, "worker", "beat")
    for process in (worker, beat):
        process.terminate()
        process.wait(timeout=30)

    assert running == (0, 0)
    assert probes(env, "worker", "beat") == (1, 1)


def test_the_probe_names_its_two_checks():
    result = subprocess.run(
        [sys.executable, "-m", "app.jobs.probe", "web"], cwd=ROOT, capture_output=True, text=True
    )

    assert (result.returncode, result.stderr) == (
        1,
        "usage: python -m app.jobs.probe worker|beat\n",
    )
