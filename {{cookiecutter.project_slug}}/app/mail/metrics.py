"""The outbox's metrics (prometheus_client, multiprocess-safe under gunicorn), set from the
outbox's signals; the observability capability imports this module.

Every sender sets the gauges from the database after each pass, so any process's latest value is
the outbox's state ("mostrecent": https://prometheus.github.io/client_python/multiprocess/).
"""

from typing import Any

from prometheus_client import Gauge, Histogram

from app.mail.service import OutboxStatus, mail_handed_over, outbox_checked

PENDING_MAILS = Gauge(
    "mail_outbox_pending", "Mails waiting to be sent.", multiprocess_mode="mostrecent"
)
FAILED_MAILS = Gauge(
    "mail_outbox_failed",
    "Mails given up on after the last attempt (flask mail retry).",
    multiprocess_mode="mostrecent",
)
OLDEST_PENDING = Gauge(
    "mail_outbox_oldest_pending_seconds",
    "Age of the oldest mail waiting to be sent (0: none waits).",
    multiprocess_mode="mostrecent",
)
SEND_DURATION = Histogram(
    "mail_send_duration_seconds", "Time to hand one mail to the SMTP server.", ["result"]
)


@outbox_checked.connect
def _set_gauges(current: OutboxStatus, **extra: Any) -> None:
    PENDING_MAILS.set(current.pending)
    FAILED_MAILS.set(current.failed)
    age = current.oldest_pending_age
    OLDEST_PENDING.set(age.total_seconds() if age is not None else 0)


@mail_handed_over.connect
def _time_send(outcome: str, *, seconds: float, **extra: Any) -> None:
    SEND_DURATION.labels(outcome).observe(seconds)
