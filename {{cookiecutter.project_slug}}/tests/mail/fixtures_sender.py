"""The mail sender's settings for the whole suite (tests/conftest.py loads this module)."""

# No app a test builds starts a mail sender thread in the test process: the tests deliver the
# outbox themselves.
APP_ENV = {"MAIL_SENDER": "worker"}
