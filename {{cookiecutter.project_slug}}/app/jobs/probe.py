"""`python -m app.jobs.probe worker|beat`: exit 0 while this container's worker, or beat, answers
Celery's ping; the containers' health checks and Kubernetes' liveness probes.

The ping (`app.control.ping`, https://docs.celeryq.dev/en/stable/userguide/workers.html#ping)
goes through the broker to this host's node alone: the worker's default node name, celery@ and
the host name (`celery@%h`), or beat's, celerybeat@ and the host name. Beat answers when started
with `--enable-remote-control` (`celery beat --help`) and stops answering once its scheduler has
not ticked for twice its longest sleep (ten minutes). The host name is the kernel's, not
$HOSTNAME: a container engine may leave that out of the processes it starts beside the node
(podman 4.3 does for `exec` and health checks), and a ping to "celery@" finds nobody.

Not the age of beat's schedule file: whether that file changes on disk while beat works depends
on the dbm module shelve picks (Berkeley DB writes at the close; gdbm writes through mmap, which
leaves a tmpfs file's time as it was).
"""

import socket
import sys

# Each check's node name before the "@" (Celery's defaults for the worker and for beat).
NODES = {"worker": "celery", "beat": "celerybeat"}
# How long the node has to answer; the probes allow 30 s for the whole check.
PING_SECONDS = 10


def answers(check: str) -> bool:
    """Whether this host's node of `check` (worker or beat) answers a ping through the broker."""
    from app.jobs.worker import celery  # the app's Celery, as the worker and beat run it

    node = f"{NODES[check]}@{socket.gethostname()}"
    replies = celery.control.ping(destination=[node], timeout=PING_SECONDS)
    return any(node in reply for reply in replies)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in NODES:
        sys.exit(f"usage: python -m app.jobs.probe {'|'.join(NODES)}")
    sys.exit(0 if answers(sys.argv[1]) else 1)
