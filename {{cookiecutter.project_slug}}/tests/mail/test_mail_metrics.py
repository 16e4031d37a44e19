"""The outbox's metrics: the gauges after each sender pass, the time of each hand-over."""

from prometheus_client import REGISTRY

from app.mail import account
from app.mail import service as outbox


def test_the_gauges_and_the_send_time_are_measured(mailbox, make_user):
    def sent_count():
        return (
            REGISTRY.get_sample_value("mail_send_duration_seconds_count", {"result": "sent"}) or 0
        )

    before = sent_count()
    for _ in range(2):
        account.request_password_reset(make_user().email)
    pending = outbox.report_status().pending
    mailbox.messages()
    after = outbox.report_status()

    assert (pending, after.pending, after.failed) == (2, 0, 0)
    assert REGISTRY.get_sample_value("mail_outbox_pending") == 0
    assert sent_count() - before == 2
