"""GET/DELETE /_mock/requests: what clients sent, where, as whom, and with what outcome."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.testclient import TestClient

from tests.admin.conftest import Ws, account, make_app, result


def _entries(client: TestClient, **params: str) -> list[dict[str, object]]:
    response = client.get("/_mock/requests", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["requests"])
    entries: list[dict[str, object]] = body["requests"]
    return entries


def test_each_request_is_journaled_with_where_its_parameters_came_from(client: TestClient, web: Ws) -> None:
    client.put("/_mock/clock", json={"freeze_at": 1_700_000_000})
    web.login()
    result(web.create("Accounts", account()))
    # A client that puts operation and session in the URL and the rest in the body (linagora's).
    web.post({"operation": "create", "sessionName": web.session or ""}, elementType="Accounts", element="{}")
    getchallenge, login, create, split = _entries(client)

    assert getchallenge["method"] == "GET" and getchallenge["operation"] == "getchallenge"
    assert getchallenge["query_params"] == ["operation", "username"] and getchallenge["body_params"] == []
    assert getchallenge["user"] is None and getchallenge["success"] is True
    assert getchallenge["time"] == 1_700_000_000 and getchallenge["http_status"] == 200

    assert login["user"] == "admin" and login["body_params"] == ["operation", "username", "accessKey"]
    assert login["body"]["accessKey"] == "********"  # type: ignore[index]

    assert create["user"] == "admin" and create["success"] is True and create["error_code"] is None
    assert json.loads(create["body"]["element"]) == account()  # type: ignore[index]
    assert isinstance(create["latency_ms"], float)

    assert split["query_params"] == ["operation", "sessionName"]
    assert split["body_params"] == ["elementType", "element"]
    assert split["success"] is False and split["error_code"] == "MANDATORY_FIELDS_MISSING"
    assert [e["id"] for e in (getchallenge, login, create, split)] == [1, 2, 3, 4]


def test_unknown_operations_and_failures_are_journaled(client: TestClient, web: Ws) -> None:
    web.get(operation="nosuchthing")
    web.get(operation="listtypes")
    unknown, unauthenticated = _entries(client)
    assert unknown["operation"] == "nosuchthing" and unknown["http_status"] == 500
    assert unknown["success"] is None
    assert unauthenticated["error_code"] == "AUTHENTICATION_REQUIRED"
    assert unauthenticated["error_message"] == "Authencation required"


def test_secrets_are_masked(client: TestClient, web: Ws) -> None:
    web.login()
    element = {
        "user_name": "x",
        "user_password": "Sup3r$ecret",
        "confirm_password": "Sup3r$ecret",
        "last_name": "x",
    }
    web.post(
        operation="create", sessionName=web.session or "", elementType="Users", element=json.dumps(element)
    )
    web.post(
        operation="changePassword", sessionName=web.session or "", id="19x1", oldPassword="a", newPassword="b"
    )
    text = client.get("/_mock/requests").text
    assert "Sup3r$ecret" not in text and web.access_key not in text
    create, change = _entries(client)[-2:]
    masked = json.loads(create["body"]["element"])  # type: ignore[index]
    assert masked["user_password"] == masked["confirm_password"] == "********" and masked["user_name"] == "x"
    assert change["body"]["oldPassword"] == change["body"]["newPassword"] == "********"  # type: ignore[index]


def test_filters_operation_since_after_and_limit(client: TestClient, web: Ws) -> None:
    client.put("/_mock/clock", json={"freeze_at": 1_700_000_000})
    web.challenge()
    client.put("/_mock/clock", json={"advance": 10})
    web.challenge()
    web.get(operation="listtypes")
    assert len(_entries(client, operation="GetChallenge")) == 2
    assert [e["id"] for e in _entries(client, since="1700000005")] == [2, 3]
    assert [e["id"] for e in _entries(client, since="2023-11-14T22:13:25Z")] == [2, 3]
    assert [e["id"] for e in _entries(client, after="1")] == [2, 3]
    assert [e["id"] for e in _entries(client, limit="2")] == [2, 3]
    assert _entries(client, limit="0") == []


@pytest.mark.parametrize("params", [{"limit": "-1"}, {"limit": "x"}, {"since": "soon"}, {"colour": "red"}])
def test_bad_filters_are_a_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/_mock/requests", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_clearing_the_journal(client: TestClient, web: Ws) -> None:
    web.challenge()
    web.challenge()
    assert client.delete("/_mock/requests").json() == {"cleared": 2}
    assert _entries(client) == []
    web.challenge()
    assert [e["id"] for e in _entries(client)] == [3]  # ids keep counting: `after` stays meaningful


def test_the_journal_is_bounded_and_can_be_off() -> None:
    with TestClient(make_app(journal_size=2)) as client:
        for _ in range(3):
            Ws(client).challenge()
        assert [e["id"] for e in _entries(client)] == [2, 3]
    with TestClient(make_app(journal_size=0)) as client:
        Ws(client).challenge()
        assert _entries(client) == []


def test_log_requests_writes_one_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    with (
        TestClient(make_app(log_requests=True)) as client,
        caplog.at_level(logging.INFO, "vtiger_mock.requests"),
    ):
        web = Ws(client)
        web.login()
    lines = [r.getMessage() for r in caplog.records if r.name == "vtiger_mock.requests"]
    assert len(lines) == 2
    assert lines[0].startswith("GET getchallenge -> 200 ok")
    assert "user=admin" in lines[1] and "body=operation,username,accessKey" in lines[1]
    assert web.access_key not in " ".join(lines)
