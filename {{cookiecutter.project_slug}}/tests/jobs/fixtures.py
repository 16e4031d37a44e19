"""Background jobs' fixtures for the whole suite (tests/conftest.py loads this module)."""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from celery import Celery
from flask import Flask

# Apps a test builds in development queue tasks in this process, where nobody runs them.
APP_ENV = {"CELERY_BROKER_URL": "memory://"}
# Production needs a Redis URL; under a prefix no worker reads, should a test queue anything.
PRODUCTION_ENV = {
    "CELERY_BROKER_URL": "redis://localhost:6379/1",
    "CELERY_BROKER_PREFIX": "tests-nobody-reads:",
}


@pytest.fixture(autouse=True)
def tasks_run_in_the_test_app(app: Flask) -> None:
    """Tasks run in the app of the Celery app made last (Flask's pattern: one app a process);
    a test that built another app (a development one, say) must not leave its tasks there."""
    celery = app.extensions["celery"]
    celery.set_current()
    celery.set_default()


@pytest.fixture
def broker() -> Iterator[dict[str, str]]:
    """A real Redis broker for the workers a test starts: TEST_CELERY_BROKER_URL (default
    database 1 of the local Redis), under a key prefix of this test's own, so that concurrent
    runs never take each other's tasks. Its keys are deleted when the test ends."""
    url = os.environ.get("TEST_CELERY_BROKER_URL", "redis://localhost:6379/1")
    prefix = f"test-{uuid.uuid4().hex}:"
    yield {"CELERY_BROKER_URL": url, "CELERY_BROKER_PREFIX": prefix}
    with redis.Redis.from_url(url) as server:
        for key in server.scan_iter(match=f"{prefix}*"):
            server.delete(key)


def client(url: str, prefix: str) -> Celery:
    """A Celery app of the test process's own that sends tasks by name to `url` under `prefix`."""
    app = Celery("tests", broker=url, set_as_current=False)
    app.conf.broker_transport_options = {"global_keyprefix": prefix}
    return app
