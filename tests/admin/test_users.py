"""POST/GET /_mock/users: users that can log in, admin or not."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.admin.conftest import Ws, make_app, result


def test_create_a_non_admin_user_and_log_in_as_them(client: TestClient) -> None:
    response = client.post(
        "/_mock/users",
        json={"user_name": "jdoe", "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com"},
    )
    assert response.status_code == 201
    user = response.json()
    assert user["id"] == "19x5"  # the next user id of a fresh 8.2.0 install
    assert user["user_name"] == "jdoe" and user["is_admin"] is False and user["status"] == "Active"
    assert len(user["access_key"]) == 16 and user["access_key"].isalnum()
    assert user["role"] == "H5"

    web = Ws(client)
    session = web.login("jdoe", user["access_key"])
    me = result(web.get(operation="retrieve", sessionName=session, id="19x5"))
    assert (me["first_name"], me["last_name"], me["is_admin"]) == ("Jane", "Doe", "off")
    # Preferences come from the admin's, as Vtiger's "new user" form fills them in.
    assert me["time_zone"] == "UTC" and me["currency_id"] == "21x1"
    entries = client.get("/_mock/requests", params={"operation": "retrieve"}).json()["requests"]
    assert entries[0]["user"] == "jdoe"


def test_create_an_admin_with_a_chosen_access_key(client: TestClient) -> None:
    user = client.post(
        "/_mock/users", json={"user_name": "boss", "is_admin": True, "access_key": "Key0123456789abc"}
    ).json()
    assert user["is_admin"] is True and user["access_key"] == "Key0123456789abc" and user["role"] == "H2"
    assert Ws(client).login("boss", "Key0123456789abc")
    users = client.get("/_mock/users").json()["users"]
    assert [u["user_name"] for u in users] == ["admin", "boss"]


def test_an_inactive_user_cannot_log_in(client: TestClient) -> None:
    user = client.post("/_mock/users", json={"user_name": "gone", "status": "Inactive"}).json()
    web = Ws(client)
    token = web.challenge("gone")["token"]
    from vtiger_mock.crm.auth import md5_hex

    response = web.post(operation="login", username="gone", accessKey=md5_hex(token + user["access_key"]))
    assert response.json()["error"]["code"] == "INVALID_USER_CREDENTIALS"


def test_user_names_are_unique_case_insensitively(client: TestClient) -> None:
    assert client.post("/_mock/users", json={"user_name": "Sam"}).status_code == 201
    duplicate = client.post("/_mock/users", json={"user_name": "sam"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "user_name is required"),
        ({"user_name": ""}, "user_name must be a non-empty string"),
        ({"user_name": "x", "is_admin": "yes"}, "is_admin must be true or false"),
        ({"user_name": "x", "access_key": "not a key!"}, "letters and digits"),
        ({"user_name": "x", "status": "Away"}, "status must be"),
        ({"user_name": "x", "shoe_size": 44}, "unknown user key"),
        ({"user_name": "x", "fields": {"no_such_field": "1"}}, "unknown field"),
    ],
)
def test_bad_user_input_is_a_400(client: TestClient, body: dict[str, Any], message: str) -> None:
    response = client.post("/_mock/users", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_generated_access_keys_are_reproducible_with_a_seed() -> None:
    keys = []
    for _ in range(2):
        with TestClient(make_app(seed=11)) as client:
            keys.append(client.post("/_mock/users", json={"user_name": "a"}).json()["access_key"])
    assert keys[0] == keys[1]
