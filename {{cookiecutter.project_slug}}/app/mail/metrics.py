"""The outbox's metrics (prometheus_client, multiprocess-safe under gunicorn: app/core/metrics.py).

Every sender sets the gauges from the database after each pass, so any process's latest value is
the outbox's state ("mostrecent": https://prometheus.github.io/client_python/multiprocess/).
"""

from prometheus_client import Gauge, Histogram

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
