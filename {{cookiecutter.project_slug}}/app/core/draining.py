"""Leave a load balancer's rotation before stopping: readiness turns 503 first, then gunicorn stops.

On SIGTERM gunicorn closes its listening socket at once and its workers stop accepting, so a
balancer that still routes to the instance gets refused or reset connections until its health
check notices. With GUNICORN_DRAIN_SECONDS above 0 the gunicorn master (gunicorn.conf.py) instead
marks the instance as draining on the first SIGTERM: every worker keeps serving, `/ready` answers
503, and only after those seconds does gunicorn's own graceful stop begin (stop accepting, finish
the requests in flight, exit). Set the seconds above the time the balancer needs to take the
instance out (for HAProxy, `fall` x `inter`). SIGINT and SIGQUIT still stop at once.

The master tells its workers through a file that exists while draining; its path is in
GUNICORN_DRAIN_MARKER, which the master sets before it starts any worker.
"""

import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

MARKER_ENV = "GUNICORN_DRAIN_MARKER"


def is_draining() -> bool:
    """Whether the gunicorn master of this worker has been asked to stop."""
    marker = os.environ.get(MARKER_ENV)
    return bool(marker) and os.path.exists(marker)


def create_marker_location() -> None:
    """In the master, before any worker starts: choose where the drain marker will go."""
    os.environ[MARKER_ENV] = str(Path(tempfile.mkdtemp(prefix="gunicorn-drain-")) / "draining")


def remove_marker_location() -> None:
    """In the master, on exit: remove the marker's private directory."""
    marker = os.environ.get(MARKER_ENV)
    if marker:
        shutil.rmtree(Path(marker).parent, ignore_errors=True)


def drain_on_sigterm(seconds: float, log: Any) -> None:
    """In the master: on the first SIGTERM, drain for `seconds`, then let gunicorn stop as usual.

    gunicorn's own SIGTERM handler is kept and called once the drain is over, from the main
    thread: a timer sends the master a second SIGTERM when the time is up. Further SIGTERMs
    during the drain change nothing.
    """
    if seconds <= 0:
        return
    stop = signal.getsignal(signal.SIGTERM)
    deadline: list[float] = []

    def on_sigterm(signum: int, frame: Any) -> None:
        if not deadline:
            deadline.append(time.monotonic() + seconds)
            Path(os.environ[MARKER_ENV]).touch()
            log.info("SIGTERM: draining for %s s (/ready answers 503), then stopping", seconds)
            timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
            timer.daemon = True
            timer.start()
        elif time.monotonic() >= deadline[0] and callable(stop):
            stop(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
