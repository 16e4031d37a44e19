"""Events the core tells whoever listens, so that it imports no capability.

Security events: what happened to an account, told to whoever keeps a record of it.

A use case calls `record` inside the transaction of its change; a subscriber (a capability that
keeps a record) adds its row to that same transaction, so an event commits or rolls
back with its change. With no subscriber an event costs one signal send. Each module declares
the actions it records with `action`, so the set of known actions is the project's own.
"""

from collections.abc import Mapping

from blinker import Namespace

Detail = str | int | bool | None
USER = "user"

signals = Namespace()
# Sent with the action's name; keyword arguments as `record` takes them.
security_event = signals.signal("security-event")
# Sent with the app by a process that serves no requests (a worker) as it starts, so that what
# exports this process's numbers can start too.
worker_started = signals.signal("worker-started")
ACTIONS: set[str] = set()


def action(name: str) -> str:
    """Declare an action this project records, and return its name."""
    ACTIONS.add(name)
    return name


# Recorded by the core itself: an admin route, or a field only admins may change, refused.
ACCESS_DENIED = action("access.denied")


def record(
    name: str,
    *,
    actor_id: int | None = None,
    target: int | None = None,
    target_type: str = USER,
    details: Mapping[str, Detail] | None = None,
) -> None:
    """Tell the subscribers that `name` happened; the caller's use case commits.

    `actor_id` is the account the request acted as (by password, token or mailed link), None
    when it was anonymous or came from the CLI; `target` the id of the account acted on.
    """
    if name not in ACTIONS:
        raise ValueError(f"undeclared security event {name!r}")
    security_event.send(
        name,
        actor_id=actor_id,
        target=target,
        target_type=target_type,
        details=dict(details or {}),
    )
