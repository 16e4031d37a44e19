"""The outbox delivered by real Celery workers on a real Redis broker: once per mail, through a
killed worker, a broker that was away, two workers and duplicate tasks, and a mail that keeps
failing. The API runs in gunicorn and the workers in processes of their own, in production mode
on the test database; the SMTP server runs in this process (tests/mail/mailbox.py)."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

from app.mail import account
from app.mail.models import FAILED, SENT
from tests.jobs import workers
from tests.jobs.fixtures import client
from tests.jobs.workers import start, start_beat, start_worker
from tests.mail.mailbox import Mailbox, free_port, outbox_rows, start_server
from tests.processes import DEADLINE, ROOT, answers, wait_for


def settings(broker: dict[str, str], **extra: str) -> dict[str, str]:
    """The workers' settings, with leases, retries and sweeps of about a second."""
    return workers.settings(
        broker,
        MAIL_SERVER="127.0.0.1",
        MAIL_TIMEOUT="2",
        MAIL_LEASE_SECONDS="3",
        MAIL_RETRY_SECONDS="1",
        MAIL_SWEEP_SCHEDULE="1",
        **extra,
    )


def serve_api(processes: list[subprocess.Popen[str]], env: dict[str, str], log: Any) -> str:
    """gunicorn with one worker; its base URL once it answers."""
    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "RATELIMIT_ENABLED": "false"}
    start(processes, [sys.executable, "-m", "gunicorn", "wsgi:app"], env, log)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: answers(f"{base}/health"), "gunicorn to serve")
    return base


def ask_for_reset(base: str, email: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/auth/password-reset",
        data=json.dumps({"email": email}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return int(response.status)


def succeeded(log: Path) -> int:
    """How many tasks the worker that writes `log` has run to the end."""
    return log.read_text().count(" succeeded in ")


def addressees(mailbox: Mailbox) -> list[str]:
    return sorted(message["To"] for message in mailbox.received)


class HeldMailbox(Mailbox):
    """Holds the first message's DATA until `release` is set, then refuses it."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = asyncio.Event()
        self.held = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not self.held:
            self.held = True
            self.holding.set()
            await self.release.wait()
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


def test_a_reset_mail_asked_for_is_delivered_once_by_a_worker(processes, broker, user, tmp_path):
    mailbox = Mailbox()
    server = start_server(mailbox)
    env = settings(broker, MAIL_PORT=str(mailbox.port))
    try:
        base = serve_api(processes, env, tmp_path / "api.log")
        start_worker(processes, env, tmp_path / "worker.log")

        assert ask_for_reset(base, user.email) == 202
        wait_for(lambda: [m.status for m in outbox_rows()] == [SENT], "the mail to be sent")
        for process in processes:
            process.terminate()
            process.wait(timeout=DEADLINE)
    finally:
        server.stop()

    assert addressees(mailbox) == [user.email]
    assert [m.attempts for m in outbox_rows()] == [1]


def test_a_worker_killed_while_it_sends_leaves_the_mail_to_be_sent_once(
    processes, broker, user, tmp_path
):
    mailbox = HeldMailbox()
    server = start_server(mailbox)
    env = settings(broker, MAIL_PORT=str(mailbox.port))
    try:
        base = serve_api(processes, env, tmp_path / "api.log")
        worker = start_worker(processes, env, tmp_path / "worker.log")
        assert ask_for_reset(base, user.email) == 202
        # The worker has leased the row, sent the message and waits for the server's answer.
        assert mailbox.holding.wait(DEADLINE), "the worker never reached the SMTP server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=DEADLINE)
        server.loop.call_soon_threadsafe(mailbox.release.set)
        # Its task was taken and never acknowledged; the sweep queues the row again once the
        # dead worker's lease has run out, and the new worker sends it.
        start_worker(processes, env, tmp_path / "worker-2.log", name="w2")
        start_beat(processes, env, tmp_path)
        wait_for(lambda: [m.status for m in outbox_rows()] == [SENT], "the mail to be sent")
    finally:
        server.stop()

    assert addressees(mailbox) == [user.email]
    assert [m.attempts for m in outbox_rows()] == [2]


def test_a_mail_asked_for_while_the_broker_is_away_is_delivered_once_it_answers(
    processes, broker, user, tmp_path
):
    mailbox = Mailbox()
    server = start_server(mailbox)
    env = settings(broker, MAIL_PORT=str(mailbox.port))
    # The API's broker: a port where nothing listens, so queueing the task fails.
    away = {**env, "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/1"}
    try:
        base = serve_api(processes, away, tmp_path / "api.log")
        assert ask_for_reset(base, user.email) == 202
        before = [m.status for m in outbox_rows()]
        start_worker(processes, env, tmp_path / "worker.log")
        start_beat(processes, env, tmp_path)
        wait_for(lambda: [m.status for m in outbox_rows()] == [SENT], "the mail to be sent")
    finally:
        server.stop()

    assert before == ["pending"]
    assert "could not queue mail" in (tmp_path / "api.log").read_text()
    assert addressees(mailbox) == [user.email]
    assert [m.attempts for m in outbox_rows()] == [1]


def test_two_workers_deliver_twenty_mails_once_each_though_each_task_is_sent_twice(
    processes, broker, make_user, tmp_path
):
    mailbox = Mailbox()
    mailbox.delay = 0.05  # both workers are busy at once
    server = start_server(mailbox)
    # One task at a time each: the twenty mails must be shared out to finish.
    env = settings(broker, MAIL_PORT=str(mailbox.port), CELERY_CONCURRENCY="1")
    emails = [make_user().email for _ in range(20)]
    for email in emails:
        account.request_password_reset(email)  # the test app queues nothing a worker sees
    try:
        logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
        for index, log in enumerate(logs, start=1):
            start_worker(processes, env, log, name=f"w{index}")
        sender = client(broker["CELERY_BROKER_URL"], broker["CELERY_BROKER_PREFIX"])
        for mail in outbox_rows() * 2:
            sender.send_task("mail.deliver", args=[mail.id])
        wait_for(lambda: {m.status for m in outbox_rows()} == {SENT}, "every mail to be sent")
        wait_for(lambda: sum(map(succeeded, logs)) == 40, "the 40 tasks to end")
    finally:
        server.stop()

    assert addressees(mailbox) == sorted(emails)
    assert {m.attempts for m in outbox_rows()} == {1}
    assert all(map(succeeded, logs))


def test_a_mail_that_keeps_failing_ends_failed_with_the_error_in_mail_status(
    processes, broker, user, tmp_path
):
    mailbox = Mailbox()
    mailbox.reply = "550 No such mailbox"
    server = start_server(mailbox)
    env = settings(broker, MAIL_PORT=str(mailbox.port), MAIL_MAX_ATTEMPTS="3")
    try:
        base = serve_api(processes, env, tmp_path / "api.log")
        start_worker(processes, env, tmp_path / "worker.log")
        assert ask_for_reset(base, user.email) == 202
        wait_for(lambda: [m.status for m in outbox_rows()] == [FAILED], "the mail to fail")
    finally:
        server.stop()
    status = subprocess.run(
        [sys.executable, "-m", "flask", "mail", "status"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )

    [mail] = outbox_rows()
    assert mailbox.received == []
    assert mail.attempts == 3
    assert status.stdout.splitlines()[1:] == [
        "failed: 1",
        "oldest pending: -",
        f"failed mail {mail.id} (password_reset, 3 attempts): "
        "SMTPDataError: (550, b'No such mailbox')",
    ]
    assert (tmp_path / "worker.log").read_text().count("Retry in") == 2
