"""Background jobs' metrics (prometheus_client); the observability capability imports this
module. Each worker serves its own on METRICS_BIND (app/jobs/worker.py).

Task outcomes come from Celery's task signals (https://docs.celeryq.dev/en/stable/userguide/
signals.html), which run in the worker's process; the queue's length is read from the broker
when the metrics are scraped, so it is never older than the scrape.
"""

import logging
from collections.abc import Iterator
from typing import Any

from amqp.exceptions import ChannelError
from celery import current_app as current_celery
from celery import signals
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)
TASKS = Counter(
    "celery_tasks_total",
    "Tasks this worker finished, by task and outcome (success, retry, failure).",
    ["task", "outcome"],
)


class QueueLength(Collector):
    """The number of messages waiting in each queue the default Celery app sends to."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "celery_queue_length", "Tasks waiting in the broker's queue.", labels=["queue"]
        )
        app = current_celery._get_current_object()
        queue = app.conf.task_default_queue
        try:
            with app.connection_for_read() as connection:
                waiting = connection.default_channel.queue_declare(queue, passive=True)
            gauge.add_metric([queue], waiting.message_count)
        except ChannelError:  # Redis drops an empty list: nothing waits
            gauge.add_metric([queue], 0)
        except Exception:  # the broker is away: no figure rather than a wrong one
            logger.warning("queue length not read", exc_info=True)
        yield gauge


REGISTRY.register(QueueLength())


def _name(sender: Any) -> str:
    return str(getattr(sender, "name", sender))


@signals.task_success.connect
def _succeeded(sender: Any = None, **extra: Any) -> None:
    TASKS.labels(_name(sender), "success").inc()


@signals.task_retry.connect
def _retried(sender: Any = None, **extra: Any) -> None:
    TASKS.labels(_name(sender), "retry").inc()


@signals.task_failure.connect
def _failed(sender: Any = None, **extra: Any) -> None:
    TASKS.labels(_name(sender), "failure").inc()
