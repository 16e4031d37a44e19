"""The outbox's tasks in the test process: what a commit queues, and what a task does with a
row (the tests deliver with the task's own function; real workers: test_jobs_mail.py)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from celery.exceptions import Retry

from app.core.database import utcnow
from app.extensions import db
from app.mail import account
from app.mail import service as outbox
from app.mail.models import FAILED, PENDING, SENT
from app.mail.tasks import deliver, sweep
from tests.mail.mailbox import outbox_rows


@pytest.fixture
def queued(app):
    """What the app has queued since the test began: (task name, arguments) in order."""
    celery = app.extensions["celery"]

    def drain() -> list[tuple[str, list]]:
        found = []
        with celery.connection_for_read() as connection:
            while (message := connection.default_channel.basic_get("celery")) is not None:
                found.append((message.headers["task"], message.decode()[0]))
        return found

    drain()
    return drain


def test_a_request_queues_one_delivery_of_its_row_after_its_commit(client, user, queued):
    response = client.post("/auth/password-reset", json={"email": user.email})

    [mail] = outbox_rows()
    assert response.status_code == HTTPStatus.ACCEPTED
    assert queued() == [("mail.deliver", [mail.id])]


def test_a_rolled_back_change_queues_nothing(app, user, queued):
    outbox.enqueue(account.MAIL_RESET, user.email)
    db.session.rollback()
    db.session.commit()  # a later commit of the same session

    assert (outbox_rows(), queued()) == ([], [])


def test_delivering_a_row_twice_sends_it_once(app, mailbox, user):
    account.request_password_reset(user.email)
    [mail] = outbox_rows()

    first, second = deliver(mail.id), deliver(mail.id)

    assert (first, second) == (SENT, SENT)  # the row's state after each
    assert [message["To"] for message in mailbox.received] == [user.email]


def test_a_failed_send_is_retried_at_the_rows_next_attempt(app, mailbox, user):
    mailbox.reply = "451 Try again later"
    account.request_password_reset(user.email)
    [mail] = outbox_rows()

    with pytest.raises(Retry):
        deliver(mail.id)

    [after] = outbox_rows()
    assert (after.status, after.attempts, after.last_error) == (
        PENDING,
        1,
        "SMTPDataError: (451, b'Try again later')",
    )
    wait = (after.next_attempt_at - utcnow()).total_seconds()
    assert app.config["MAIL_RETRY_SECONDS"] - 5 < wait <= app.config["MAIL_RETRY_SECONDS"]


def test_the_last_failed_attempt_ends_the_task_with_the_row_failed(app, mailbox, user):
    mailbox.reply = "550 No such mailbox"
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    try:
        account.request_password_reset(user.email)
        [mail] = outbox_rows()
        result = deliver(mail.id)
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 10

    assert (result, [m.status for m in outbox_rows()]) == (FAILED, [FAILED])


def test_the_sweep_queues_rows_due_for_longer_than_a_lease_and_no_other(app, make_user, queued):
    lease = timedelta(seconds=app.config["MAIL_LEASE_SECONDS"])
    old, fresh, held = (make_user().email for _ in range(3))
    account.request_password_reset(old)
    account.request_password_reset(held)
    rows = outbox_rows()
    for mail in rows:
        mail.created_at = utcnow() - 2 * lease
    rows[1].leased_until = utcnow() + lease
    db.session.commit()
    account.request_password_reset(fresh)
    queued()

    assert sweep() == 1
    assert queued() == [("mail.deliver", [rows[0].id])]


def test_retrying_the_failed_mails_queues_each_of_them(app, make_user, queued):
    for _ in range(2):
        account.request_password_reset(make_user().email)
    for mail in outbox_rows():
        mail.status = FAILED
    db.session.commit()
    queued()

    assert outbox.retry_failed() == 2
    assert sorted(queued()) == [("mail.deliver", [mail.id]) for mail in outbox_rows()]
