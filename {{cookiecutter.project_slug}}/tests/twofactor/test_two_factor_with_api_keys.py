"""An API key cannot manage two-factor sign-in: that takes a login session."""

from http import HTTPStatus

import pytest

from tests.apikeys.helpers import create_key, key_headers
from tests.helpers import PASSWORD

NOT_WITH_A_KEY = {
    "error": "API keys cannot manage the account: sign in with your password for this",
    "status_code": 403,
}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/auth/2fa/setup", {"password": PASSWORD}),
        ("post", "/auth/2fa/enable", {"code": "123456"}),
        ("post", "/auth/2fa/disable", {"password": PASSWORD, "code": "123456"}),
        ("post", "/auth/2fa/recovery-codes", {"password": PASSWORD, "code": "123456"}),
        ("get", "/auth/2fa", None),
    ],
)
def test_a_key_cannot_manage_two_factor_sign_in(client, user_headers, method, path, body):
    key = create_key(client, user_headers)

    response = getattr(client, method)(path, json=body, headers=key_headers(key))

    assert (response.status_code, response.json) == (HTTPStatus.FORBIDDEN, NOT_WITH_A_KEY)
