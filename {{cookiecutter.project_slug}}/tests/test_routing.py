"""Ids above the 32-bit bound match no rule: a 404 for every method, never a 405 or a 500."""

import re
from http import HTTPStatus

import pytest

from app.core.routing import decimal_at_most

INT32_MAX = 2_147_483_647


@pytest.mark.parametrize("number", [0, 7, 99, 100, 2_000_000_000, 2_147_483_639, INT32_MAX])
def test_the_pattern_takes_every_number_up_to_the_limit(number):
    assert re.fullmatch(decimal_at_most(INT32_MAX), str(number))


@pytest.mark.parametrize("number", [INT32_MAX + 1, 2_147_483_650, 3_000_000_000, 10**10])
def test_the_pattern_refuses_every_number_above_the_limit(number):
    assert re.fullmatch(decimal_at_most(INT32_MAX), str(number)) is None


@pytest.mark.parametrize("limit", [0, 9, 10, 305])
def test_small_limits_are_exact(limit):
    pattern = decimal_at_most(limit)
    assert [n for n in range(1000) if re.fullmatch(pattern, str(n))] == list(range(limit + 1))


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_too_large_user_id_is_a_404_for_every_method(client, admin_headers, method):
    response = getattr(client, method)(f"/users/{INT32_MAX + 1}", headers=admin_headers, json={})

    assert (response.status_code, response.json) == (
        HTTPStatus.NOT_FOUND,
        {"error": "Not Found", "status_code": 404},
    )
