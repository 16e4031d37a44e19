"""User use cases, tested without HTTP."""

import pytest

from app.errors import EmailAlreadyRegistered, UserNotFound
from app.users import repository, service
from app.users.models import ROLE_USER, Actor


def test_create_user_stores_profile_and_hashes_password(make_user):
    user = make_user(email="ann@example.com", name="Ann", age=41, password="s3cret-pass")

    stored = repository.get_by_email("ann@example.com")
    assert (stored.name, stored.age, stored.role.name) == ("Ann", 41, ROLE_USER)
    assert stored.password_hash.startswith("pbkdf2:sha256:")
    assert stored.check_password("s3cret-pass")
    assert not stored.check_password("S3cret-pass")
    assert user.id == stored.id


def test_create_user_without_password_cannot_authenticate(make_user):
    user = make_user(password=None)

    assert user.password_hash is None
    assert not user.check_password("")


def test_duplicate_email_is_refused(make_user):
    make_user(email="dup@example.com")

    with pytest.raises(EmailAlreadyRegistered):
        make_user(email="dup@example.com")
    assert repository.count() == 1


def test_get_visible_user_lets_users_see_themselves(user):
    viewer = Actor.of(user)

    assert service.get_visible_user(viewer, user.id) is viewer


def test_get_visible_user_hides_other_accounts_from_users(make_user):
    alice, bob = make_user(), make_user()

    with pytest.raises(UserNotFound):
        service.get_visible_user(Actor.of(alice), bob.id)


def test_get_visible_user_lets_admins_see_anyone(admin, user):
    assert service.get_visible_user(Actor.of(admin), user.id) is user


def test_get_visible_user_of_missing_id_is_not_found(admin):
    with pytest.raises(UserNotFound):
        service.get_visible_user(Actor.of(admin), 999_999)


def test_list_users_pages_in_id_order(make_user):
    created = [make_user() for _ in range(5)]

    first = service.list_users(page=1, per_page=2)
    last = service.list_users(page=3, per_page=2)

    assert [u.id for u in first.items] == [u.id for u in created[:2]]
    assert [u.id for u in last.items] == [created[4].id]
    assert (first.total, first.has_next) == (5, True)
    assert last.has_next is False
