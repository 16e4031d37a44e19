"""An API key's use from a new address, in the audit log."""

from tests.apikeys.helpers import create_key, key_headers
from tests.audit.helpers import audit_log


def test_a_use_from_a_new_address_is_recorded(client, user, user_headers, admin_headers):
    key = create_key(client, user_headers)
    for address in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
        client.get("/users/me", headers=key_headers(key), environ_base={"REMOTE_ADDR": address})

    [event] = audit_log(client, admin_headers, action="api_key.used_from_new_address")

    assert (event["actor_id"], event["ip_address"]) == (user.id, "192.0.2.2")
    assert event["details"] == {"key_id": key["id"]}
