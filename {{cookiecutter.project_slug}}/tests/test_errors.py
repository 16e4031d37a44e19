"""Domain errors declare the HTTP status they answer with."""

import pytest

from app.errors import DomainError, UserNotFound


def test_a_domain_error_without_a_status_is_refused_where_it_is_defined():
    with pytest.raises(TypeError, match="Vague must set `status`"):

        class Vague(DomainError):
            message = "Something went wrong"


def test_a_subclass_keeps_the_status_of_the_error_it_refines():
    class ArchivedUser(UserNotFound):
        message = "User archived"

    assert ArchivedUser().status == UserNotFound.status == 404
