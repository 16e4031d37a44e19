"""Background jobs' metrics: the queue's length read from the broker at each scrape, and each
task's outcome counted by the worker that ran it (a real worker, serving METRICS_BIND)."""

import urllib.request

from prometheus_client import REGISTRY

from tests.jobs.fixtures import client
from tests.jobs.workers import settings, start_worker
from tests.processes import free_port, wait_for


def queue_length() -> float | None:
    return REGISTRY.get_sample_value("celery_queue_length", {"queue": "celery"})


def test_the_queue_length_is_what_waits_in_the_broker_when_scraped(app):
    celery = app.extensions["celery"]
    with celery.connection_for_read() as connection:
        while connection.default_channel.basic_get("celery") is not None:
            pass  # what earlier tests queued
    before = queue_length()
    for _ in range(3):
        celery.send_task("sessions.purge")

    assert (before, queue_length()) == (0, 3)


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def test_a_worker_counts_each_tasks_outcome_on_its_metrics_port(processes, broker, tmp_path):
    port = free_port()
    env = settings(broker, METRICS_BIND=f"127.0.0.1:{port}")
    start_worker(processes, env, tmp_path / "worker.log")
    sender = client(broker["CELERY_BROKER_URL"], broker["CELERY_BROKER_PREFIX"])
    for _ in range(2):
        sender.send_task("sessions.purge")
    done = 'celery_tasks_total{outcome="success",task="sessions.purge"} 2.0'

    wait_for(lambda: done in scrape(port), "two purges counted")

    assert 'celery_queue_length{queue="celery"} 0.0' in scrape(port)
