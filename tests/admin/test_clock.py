"""GET/PUT /_mock/clock, and what the clock drives: token expiry, record times."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.admin.conftest import Ws, account, failure, result
from vtiger_mock.crm.auth import md5_hex

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def test_get_clock(client: TestClient) -> None:
    clock = client.get("/_mock/clock").json()
    assert set(clock) == {"now", "epoch", "timestamp", "frozen"}
    assert clock["frozen"] is False
    assert clock["epoch"] == int(clock["now"])


def test_freeze_advance_and_real(client: TestClient) -> None:
    frozen = client.put("/_mock/clock", json={"freeze_at": T0}).json()
    assert frozen == {"now": T0, "epoch": T0, "timestamp": "2023-11-14 22:13:20", "frozen": True}
    assert client.get("/_mock/clock").json()["now"] == T0  # frozen means frozen
    assert client.put("/_mock/clock", json={"advance": 90.5}).json()["now"] == T0 + 90.5
    assert client.put("/_mock/clock", json={"advance": -0.5}).json()["epoch"] == T0 + 90
    both = client.put("/_mock/clock", json={"freeze_at": "2024-02-29T12:00:00Z", "advance": 60}).json()
    assert both["timestamp"] == "2024-02-29 12:01:00"
    assert (
        client.put("/_mock/clock", json={"freeze_at": "2024-02-29 12:00:00"}).json()["epoch"] == 1_709_208_000
    )
    assert client.put("/_mock/clock", json={"real": True}).json()["frozen"] is False
    assert client.put("/_mock/clock", json={"freeze": True}).json()["frozen"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "expected"),
        ({"travel": 5}, "unknown clock key"),
        ({"advance": "10"}, "advance must be a number"),
        ({"advance": True}, "advance must be a number"),
        ({"freeze_at": "yesterday"}, "not an ISO 8601 date-time"),
        ({"freeze_at": T0, "freeze": True}, "not both"),
        ({"real": True, "freeze_at": T0}, "contradict"),
        ({"real": "yes"}, "real must be true or false"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_clock_input_is_a_400(client: TestClient, body: Any, message: str) -> None:
    response = client.put("/_mock/clock", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert message in response.json()["error"]["message"]


def test_a_challenge_token_expires_when_the_clock_moves_past_300_seconds(client: TestClient, web: Ws) -> None:
    client.put("/_mock/clock", json={"freeze_at": T0})
    token = web.challenge()["token"]
    client.put("/_mock/clock", json={"advance": 300})  # valid through its expireTime second
    key = md5_hex(token + web.access_key)
    assert result(web.post(operation="login", username="admin", accessKey=key))["sessionName"]

    token = web.challenge()["token"]
    challenge_time = client.get("/_mock/clock").json()["epoch"]
    client.put("/_mock/clock", json={"advance": 301})
    assert client.get("/_mock/clock").json()["epoch"] == challenge_time + 301
    key = md5_hex(token + web.access_key)
    assert failure(web.post(operation="login", username="admin", accessKey=key)) == (
        "INVALID_AUTH_TOKEN",
        "Specified token is invalid or expired",
    )


def test_record_times_come_from_the_clock(client: TestClient, web: Ws) -> None:
    client.put("/_mock/clock", json={"freeze_at": "2024-05-01T09:30:00Z"})
    web.login()
    created = result(web.create("Accounts", account()))
    assert created["createdtime"] == created["modifiedtime"] == "2024-05-01 09:30:00"
    client.put("/_mock/clock", json={"advance": 3600})
    updated = result(
        web.post(
            operation="revise",
            sessionName=web.session or "",
            element=f'{{"id": "{created["id"]}", "phone": "123"}}',
        )
    )
    assert (updated["createdtime"], updated["modifiedtime"]) == ("2024-05-01 09:30:00", "2024-05-01 10:30:00")
