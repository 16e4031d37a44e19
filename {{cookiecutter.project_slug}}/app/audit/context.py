"""Where the current request comes from, for the events it records.

A hook at the edge (routes.py) fills it before each request and empties it after, so the use
cases that record events never read Flask's request; outside a request (the CLI, a test of a
service) it is empty.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


NOWHERE = Origin()
_current: ContextVar[Origin] = ContextVar("audit_origin", default=NOWHERE)


def current_origin() -> Origin:
    return _current.get()


def set_origin(origin: Origin) -> None:
    _current.set(origin)
