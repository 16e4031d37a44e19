"""Periodic jobs: what each capability's `tasks` module declares, and their schedules' syntax."""

from datetime import timedelta
from typing import NamedTuple

from celery.schedules import ParseException, crontab

from app.environment import ConfigurationError

OFF = "off"


class Periodic(NamedTuple):
    """A task that beat starts on a schedule the setting `setting` names (default `default`)."""

    task: str  # the task's registered name
    setting: str
    default: str


def parse(setting: str, value: str) -> crontab | timedelta | None:
    """A schedule from a setting's value: a number of seconds, five cron fields in UTC
    ("27 3 * * *"), or "off"; None for off."""
    text = value.strip()
    if text.lower() == OFF:
        return None
    if text.isdigit():
        if int(text) < 1:
            raise ConfigurationError(f"{setting} must be a positive number of seconds")
        return timedelta(seconds=int(text))
    fields = text.split()
    if len(fields) != 5:
        raise ConfigurationError(
            f"{setting} must be seconds, five cron fields or {OFF!r}, got {value!r}"
        )
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
        )
    except (ParseException, ValueError):
        raise ConfigurationError(f"{setting} is not a valid cron schedule: {value!r}") from None
