"""Background jobs in the test process: the settings, the schedules beat gets, the probe of
beat's liveness, and the core's periodic job (real workers: test_jobs_*.py)."""

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery.schedules import crontab

from app import create_app
from app.auth.models import AuthSession
from app.core.database import utcnow
from app.environment import ConfigurationError
from app.extensions import db
from app.jobs import schedule
from app.jobs.settings import BEAT_FILE, same_database
from app.jobs.tasks import purge_sessions
from tests.processes import ROOT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", timedelta(seconds=30)),
        ("27 3 * * *", crontab(minute="27", hour="3")),
        ("*/5 * * * 1-5", crontab(minute="*/5", day_of_week="1-5")),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_a_schedule_is_seconds_five_cron_fields_or_off(value, expected):
    assert schedule.parse("X_SCHEDULE", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "X_SCHEDULE must be a positive number of seconds"),
        ("27 3 * *", "X_SCHEDULE must be seconds, five cron fields or 'off', got '27 3 \\* \\*'"),
        ("61 3 * * *", "X_SCHEDULE is not a valid cron schedule: '61 3 \\* \\* \\*'"),
        ("hourly", "X_SCHEDULE must be seconds, five cron fields or 'off'"),
    ],
)
def test_a_bad_schedule_is_refused_with_its_name(value, message):
    with pytest.raises(ConfigurationError, match=message):
        schedule.parse("X_SCHEDULE", value)


def test_beat_gets_every_periodic_job_with_its_schedule_setting(monkeypatch):
    monkeypatch.setenv("SESSIONS_PURGE_SCHEDULE", "5 4 * * *")

    celery = create_app("testing").extensions["celery"]

    beat = celery.conf.beat_schedule
    assert beat["sessions.purge"] == {
        "task": "sessions.purge",
        "schedule": crontab(minute="5", hour="4"),
    }
    assert set(beat) <= set(celery.tasks)
    assert all(entry["task"] == name for name, entry in beat.items())


def test_a_job_scheduled_off_is_not_given_to_beat(monkeypatch):
    monkeypatch.setenv("SESSIONS_PURGE_SCHEDULE", "off")

    assert "sessions.purge" not in create_app("testing").extensions["celery"].conf.beat_schedule


def test_tasks_are_acknowledged_late_and_run_in_the_app_context(app):
    celery = app.extensions["celery"]

    assert (celery.conf.task_acks_late, celery.conf.task_reject_on_worker_lost) == (True, True)
    assert celery.conf.task_ignore_result is True
    assert celery.Task.__call__.__qualname__.startswith("init_celery.<locals>.FlaskTask")


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CELERY_BROKER_URL": "amqp://localhost"}, "must be a redis:// or rediss:// URL"),
        (
            {
                "CELERY_BROKER_URL": "redis://localhost:6379/0",
                "RATELIMIT_STORAGE_URI": "redis://localhost/0",
            },
            "must name another Redis database than RATELIMIT_STORAGE_URI",
        ),
        ({"CELERY_CONCURRENCY": "0"}, "CELERY_CONCURRENCY must be positive"),
        ({"SESSIONS_PURGE_SCHEDULE": "daily"}, "SESSIONS_PURGE_SCHEDULE must be seconds"),
    ],
)
def test_bad_job_settings_stop_the_start(app_env, variables, message):
    for name, value in variables.items():
        app_env.setenv(name, value)

    with pytest.raises(ConfigurationError, match=message):
        create_app("development")


def test_production_refuses_a_broker_in_the_process(production_env):
    production_env.setenv("CELERY_BROKER_URL", "memory://")

    with pytest.raises(ConfigurationError, match="redis:// or rediss:// URL in production"):
        create_app("production")


def test_a_broker_in_the_process_is_no_redis_database_of_the_limiters(app_env):
    app_env.setenv("RATELIMIT_STORAGE_URI", "redis://localhost:6379/0")

    assert create_app("development").config["CELERY_BROKER_URL"] == "memory://"


def test_a_broker_on_the_limiters_server_in_another_database_is_accepted(app_env):
    app_env.setenv("RATELIMIT_STORAGE_URI", "redis://localhost:6379/0")
    app_env.setenv("CELERY_BROKER_URL", "redis://localhost:6379/1")

    assert create_app("development").config["CELERY_BROKER_URL"].endswith("/1")


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("redis://localhost:6379/1", "redis://localhost/1", True),
        ("redis://localhost", "redis://localhost:6379/0", True),
        ("redis://localhost:6379/1", "redis://localhost:6379/2", False),
        ("redis://cache:6379/1", "redis://localhost:6379/1", False),
    ],
)
def test_two_redis_urls_are_one_database_when_host_port_and_index_agree(first, second, same):
    assert same_database(first, second) is same


def test_beat_keeps_its_schedule_in_the_temporary_folder_under_the_projects_name():
    assert Path(BEAT_FILE) == Path(tempfile.gettempdir()) / f"celerybeat-{ROOT.name}"


def test_the_session_purge_job_deletes_expired_sessions(app, user):
    now = utcnow()
    for expires in (now - timedelta(days=1), now + timedelta(days=1)):
        db.session.add(AuthSession(id=str(uuid.uuid4()), user_id=user.id, expires_at=expires))
    db.session.commit()

    purge_sessions()

    assert [s.expires_at > now for s in db.session.scalars(db.select(AuthSession))] == [True]
