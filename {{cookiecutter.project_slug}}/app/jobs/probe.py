"""`python -m app.jobs.probe beat`: exit 0 while beat keeps its schedule file fresh, for the
container's health check and Kubernetes' liveness probe. (The worker's check is Celery's own
`celery inspect ping`.)

Beat writes down when each job last ran every few minutes (its `sync_every`, three minutes) and
wakes at least every MAIL_SWEEP_SCHEDULE or five minutes, so a file older than FRESH_SECONDS
means a beat that stopped working.
"""

import sys
import time
from pathlib import Path

from app.jobs.settings import BEAT_FILE

FRESH_SECONDS = 600


def beat_is_alive(now: float | None = None) -> bool:
    """Whether a file of beat's schedule (its dbm may add a suffix) changed lately."""
    now = time.time() if now is None else now
    files = Path(BEAT_FILE).parent.glob(f"{Path(BEAT_FILE).name}*")
    return any(now - path.stat().st_mtime < FRESH_SECONDS for path in files)


if __name__ == "__main__":
    if sys.argv[1:] != ["beat"]:
        sys.exit("usage: python -m app.jobs.probe beat")
    sys.exit(0 if beat_is_alive() else 1)
