"""Proof by fault: mail survives a killed worker and a server that is down, and two senders on
one database deliver each mail once. The app runs in subprocesses (gunicorn, `flask mail
worker`) in production mode against the test database; the SMTP server runs in this process.
"""

import json
import os
import signal
import subprocess
import sys
import urllib.request

from app.mail import account
from app.mail.models import SENT
from tests.mail.mailbox import Mailbox, free_port, outbox_rows, start_server
from tests.processes import DEADLINE, ROOT, answers, children, production_settings, wait_for


def settings(mail_port: int) -> dict[str, str]:
    """Production settings on the test database, with retries and polls of about a second."""
    return production_settings(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        MAIL_TIMEOUT="2",
        MAIL_LEASE_SECONDS="3",
        MAIL_RETRY_SECONDS="1",
        MAIL_POLL_SECONDS="1",
    )


def test_a_mail_survives_its_worker_killed_while_smtp_is_down(processes, user):
    mail_port, http_port = free_port(), free_port()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app"],
        cwd=ROOT,
        env={**settings(mail_port), "BIND": f"127.0.0.1:{http_port}", "WEB_CONCURRENCY": "1"},
        text=True,
    )
    processes.append(gunicorn)
    base = f"http://127.0.0.1:{http_port}"
    wait_for(lambda: answers(f"{base}/health"), "gunicorn to serve")
    [worker] = children(gunicorn.pid)

    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/auth/password-reset",
        data=json.dumps({"email": user.email}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
        assert response.status == 202
    # The worker's sender tried, found no SMTP server and put the mail back for later. Not
    # "exactly one try": MySQL keeps whole seconds, so the 1 s retry delay of these settings can
    # round down to nothing and the second try come before this poll looks.
    wait_for(
        lambda: [m.attempts > 0 and not m.leased_until for m in outbox_rows()] == [True], "a try"
    )
    os.kill(worker, signal.SIGKILL)
    mailbox = Mailbox()
    server = start_server(mailbox, port=mail_port)
    try:
        wait_for(lambda: [m.status for m in outbox_rows()] == [SENT], "the mail to be sent")
        wait_for(lambda: children(gunicorn.pid), "a new worker")
    finally:
        server.stop()

    assert [message["To"] for message in mailbox.received] == [user.email]
    assert worker not in children(gunicorn.pid)


def test_two_senders_on_one_database_deliver_every_mail_once(processes, make_user):
    mailbox = Mailbox()
    mailbox.delay = 0.02  # both senders are busy at once
    server = start_server(mailbox)
    emails = [make_user().email for _ in range(20)]
    for email in emails:
        account.request_password_reset(email)
    try:
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "mail", "worker"],
                    cwd=ROOT,
                    env=settings(mailbox.port),
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        wait_for(lambda: {m.status for m in outbox_rows()} == {SENT}, "every mail to be sent")
        for worker in processes:
            worker.terminate()
        outputs = [worker.communicate(timeout=DEADLINE)[0] for worker in processes]
    finally:
        server.stop()

    assert sorted(message["To"] for message in mailbox.received) == sorted(emails)
    assert [worker.returncode for worker in processes] == [0, 0]
    assert all(output.endswith("Mail worker stopped.\n") for output in outputs)
