"""A deleted account's mailed links die with it."""

from http import HTTPStatus


def test_a_deleted_account_loses_its_sessions_and_links(
    client, mailbox, user, login, admin_headers
):
    headers = login(user)
    client.post("/auth/password-reset", json={"email": user.email})
    token = mailbox.token(user.email)

    response = client.delete(f"/users/{user.id}", headers=admin_headers)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert client.get("/users/me", headers=headers).status_code == HTTPStatus.UNAUTHORIZED
    assert (
        client.post(
            "/auth/password-reset/confirm", json={"token": token, "new_password": "long enough"}
        ).status_code
        == HTTPStatus.BAD_REQUEST
    )
