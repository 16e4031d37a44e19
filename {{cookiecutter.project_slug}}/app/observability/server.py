"""gunicorn's part of the metrics: the /metrics listener next to the public one, and
prometheus_client's multiprocess files (https://prometheus.github.io/client_python/multiprocess/).
"""

import os
from pathlib import Path
from typing import Any

from app.environment import env

# prometheus_client writes a process's samples there from the first metric it creates: the
# directory must exist before the metrics module is imported.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

from app.observability import metrics


def binds(config: Any) -> list[str]:
    """The listener for /metrics, when METRICS_BIND names one."""
    if not config.METRICS_BIND:
        return []
    if not env("PROMETHEUS_MULTIPROC_DIR"):
        raise RuntimeError(
            "METRICS_BIND needs PROMETHEUS_MULTIPROC_DIR, one directory per instance"
        )
    return [config.METRICS_BIND]


def on_starting(config: Any, server: Any) -> None:
    if config.METRICS_BIND:
        metrics.clear_multiprocess_dir()


def child_exit(config: Any, server: Any, worker: Any) -> None:
    if config.METRICS_BIND:
        metrics.forget_worker(worker.pid)
