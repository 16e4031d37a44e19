"""The mail outbox: written with the change that asks for it, delivered once, retried, failed.

The clock is passed in (`deliver_due(now=...)`), so retry delays cost no waiting.
"""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import select

from app.auth import service as auth_service
from app.core.database import utcnow
from app.errors import EmailAlreadyRegistered
from app.extensions import db
from app.mail import account, repository
from app.mail import service as outbox
from app.mail.models import FAILED, PENDING, SENT, AccountToken, OutboxMail
from tests.helpers import PASSWORD
from tests.mail.mailbox import free_port


def whole_second_now():
    """Now, as every database stores it (MySQL's DATETIME keeps no fractions)."""
    return utcnow().replace(microsecond=0)


def rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def deliver_at(moment):
    return outbox.deliver_due(now=lambda: moment)


def test_a_committed_request_has_its_mail_and_a_rolled_back_one_has_none(user):
    outbox.enqueue(account.MAIL_RESET, "rolled-back@example.com")
    db.session.rollback()
    account.request_password_reset(user.email)

    assert [(row.kind, row.recipient, row.status) for row in rows()] == [
        (account.MAIL_RESET, user.email, PENDING)
    ]


def test_a_registration_refused_as_a_duplicate_leaves_no_mail(app, user):
    app.config["REQUIRE_EMAIL_VERIFICATION"] = True
    try:
        auth_service.register_user("new@example.com", "New", PASSWORD)
        with pytest.raises(EmailAlreadyRegistered):
            auth_service.register_user(user.email, "Again", PASSWORD)
    finally:
        app.config["REQUIRE_EMAIL_VERIFICATION"] = False

    assert [row.recipient for row in rows()] == ["new@example.com"]


def test_the_outbox_row_holds_no_token_or_body(mailbox, user):
    account.request_password_reset(user.email)
    token = mailbox.token(user.email)

    [row] = rows()
    stored = " ".join(str(getattr(row, column.key)) for column in OutboxMail.__table__.columns)
    assert (row.status, token in stored) == (SENT, False)


def test_a_mail_waits_for_a_server_that_is_down_and_arrives_once_it_is_up(app, mailbox, user):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    start = whole_second_now()
    account.request_password_reset(user.email)

    deliver_at(start)
    app.config["MAIL_PORT"] = port
    early = deliver_at(start + timedelta(seconds=app.config["MAIL_RETRY_SECONDS"] - 1))
    due = deliver_at(start + timedelta(seconds=app.config["MAIL_RETRY_SECONDS"]))
    later = deliver_at(start + timedelta(days=1))

    [row] = rows()
    assert (early, due, later) == (0, 1, 0)
    assert (row.status, row.attempts, len(mailbox.received)) == (SENT, 2, 1)
    assert row.last_error.startswith("ConnectionRefusedError")


def test_a_composer_whose_write_fails_leaves_its_mail_for_a_later_try(app, mailbox, user):
    # A failed flush (here a duplicate key; in production a deadlock, say) inside a composer.
    def duplicate(recipient, now):
        for _ in range(2):
            db.session.add(
                AccountToken(user_id=user.id, purpose="x", token_hash="0" * 64, expires_at=now)
            )
        db.session.flush()

    outbox.COMPOSERS["broken"] = duplicate
    try:
        outbox.enqueue("broken", user.email)
        db.session.commit()
        handled = deliver_at(whole_second_now())
    finally:
        del outbox.COMPOSERS["broken"]

    [row] = rows()
    assert handled == 1
    assert (row.status, row.attempts, row.leased_until) == (PENDING, 1, None)
    assert row.last_error == "IntegrityError"
    assert row.next_attempt_at is not None


def test_retries_wait_longer_each_time_and_end_failed_at_the_limit(app, mailbox, user):
    mailbox.reply = "554 5.7.1 Rejected by policy"
    base, limit = app.config["MAIL_RETRY_SECONDS"], app.config["MAIL_MAX_ATTEMPTS"]
    account.request_password_reset(user.email)
    moment, delays = whole_second_now(), []

    for _ in range(limit):
        assert deliver_at(moment) == 1
        [row] = rows()
        if row.next_attempt_at is not None and row.status == PENDING:
            delays.append(row.next_attempt_at - moment)
            moment = row.next_attempt_at

    [row] = rows()
    expected = [min(timedelta(seconds=base * 2**n), timedelta(hours=1)) for n in range(limit - 1)]
    assert [round(delay.total_seconds()) for delay in delays] == [
        round(delay.total_seconds()) for delay in expected
    ]
    assert (row.status, row.attempts) == (FAILED, limit)
    assert row.last_error == "SMTPDataError: (554, b'5.7.1 Rejected by policy')"
    assert deliver_at(moment + timedelta(days=1)) == 0
    assert mailbox.received == []


def test_mail_status_retry_and_purge_commands(app, mailbox, user):
    runner = app.test_cli_runner()
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    mailbox.reply = "550 No such mailbox"
    try:
        account.request_password_reset(user.email)
        deliver_at(utcnow())
        failed = runner.invoke(args=["mail", "status"])
        retried = runner.invoke(args=["mail", "retry"])
        pending = runner.invoke(args=["mail", "status"])
        mailbox.reply = "250 OK"
        deliver_at(utcnow() - timedelta(days=8))
        kept = runner.invoke(args=["mail", "purge", "--older-than", "9"])
        purged = runner.invoke(args=["mail", "purge", "--older-than", "7"])
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = 10

    assert re.fullmatch(
        r"pending: 0\nfailed: 1\noldest pending: -\n"
        r"failed mail \d+ \(password_reset, 1 attempt\): "
        r"SMTPDataError: \(550, b'No such mailbox'\)\n",
        failed.output,
    )
    assert retried.output == "Queued 1 failed mail again.\n"
    assert re.fullmatch(r"pending: 1\nfailed: 0\noldest pending: \d+ s\n", pending.output)
    assert (kept.output, purged.output) == ("Purged 0 sent mails.\n", "Purged 1 sent mail.\n")
    assert (len(mailbox.received), rows()) == (1, [])


def test_a_leased_mail_is_not_claimed_again_until_its_lease_runs_out(app, user):
    account.request_password_reset(user.email)
    now = whole_second_now()
    lease = timedelta(seconds=app.config["MAIL_LEASE_SECONDS"])

    first = repository.claim_next(now, now + lease)
    db.session.commit()
    during = repository.claim_next(now + lease - timedelta(seconds=1), now + 2 * lease)
    after = repository.claim_next(now + lease + timedelta(seconds=1), now + 3 * lease)

    assert (first is not None, during, after) == (True, None, first)


def test_a_deleted_account_takes_its_mails_along(client, user, admin_headers):
    account.request_password_reset(user.email)

    response = client.delete(f"/users/{user.id}", headers=admin_headers)

    assert (response.status_code, rows()) == (HTTPStatus.NO_CONTENT, [])
