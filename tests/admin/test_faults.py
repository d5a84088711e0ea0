"""POST/GET/DELETE /_mock/faults: counted, probabilistic (seeded) and every kind of action."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.admin.conftest import Ws, account, envelope, failure, make_app, result
from vtiger_mock.app import ConnectionDropped
from vtiger_mock.pytest_plugin import ServerThread


def add(client: TestClient, rule: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_error_fault_fires_times_then_stops(client: TestClient, web: Ws) -> None:
    web.login()
    rule = add(
        client,
        {
            "operation": "create",
            "times": 3,
            "action": {"error": {"code": "DATABASE_QUERY_ERROR", "message": "boom"}},
        },
    )
    assert rule["remaining"] == 3 and rule["active"] is True
    for _ in range(3):
        response = web.create("Accounts", account())
        assert response.status_code == 200
        assert response.json() == {
            "success": False,
            "error": {"message": "boom", "code": "DATABASE_QUERY_ERROR"},
        }
    assert result(web.create("Accounts", account()))["accountname"] == "Acme"
    # Only the fourth create ran: the faulted ones never reached the store.
    assert client.get("/_mock/health").json()["records"] == {"Accounts": 1}
    [listed] = client.get("/_mock/faults").json()["faults"]
    assert (listed["fired"], listed["matched"], listed["remaining"], listed["active"]) == (3, 3, 0, False)
    faulted = [e for e in client.get("/_mock/requests", params={"operation": "create"}).json()["requests"]]
    assert [e["fault"] for e in faulted] == [{"id": rule["id"], "action": "error"}] * 3 + [None]
    # The journal still names the session's user of a request the fault answered instead.
    assert [e["user"] for e in faulted] == ["admin"] * 4
    assert [e["error_code"] for e in faulted] == ["DATABASE_QUERY_ERROR"] * 3 + [None]


def test_other_operations_are_not_affected(client: TestClient, web: Ws) -> None:
    add(client, {"operation": ["update", "delete"], "action": {"error": True}})
    web.login()
    assert result(web.create("Accounts", account()))
    assert (
        failure(web.post(operation="delete", sessionName=web.session or "", id="11x2"))[0]
        == "INTERNAL_SERVER_ERROR"
    )


def test_error_messages_default_to_vtigers_own(client: TestClient, web: Ws) -> None:
    add(client, {"operation": "getchallenge", "action": {"error": {"code": "INVALID_SESSIONID"}}})
    assert failure(web.get(operation="getchallenge", username="admin")) == (
        "INVALID_SESSIONID",
        "Session Identifier provided is Invalid",
    )
    client.delete("/_mock/faults")
    add(client, {"action": {"error": True}})  # every operation, Vtiger's internal error
    assert failure(web.get(operation="listtypes")) == (
        "INTERNAL_SERVER_ERROR",
        "Unknown Error while processing request",
    )


def _pattern(seed: int, n: int = 40) -> list[bool]:
    with TestClient(make_app()) as client:
        add(
            client, {"operation": "getchallenge", "probability": 0.3, "seed": seed, "action": {"error": True}}
        )
        web = Ws(client)
        return [envelope(web.get(operation="getchallenge", username="admin"))["success"] for _ in range(n)]


def test_probability_with_a_seed_is_reproducible() -> None:
    first, second, other = _pattern(7), _pattern(7), _pattern(8)
    assert first == second
    assert first != other
    assert 0 < first.count(False) < len(first)  # some hits and some misses at p=0.3


def test_probability_and_times_combine(client: TestClient, web: Ws) -> None:
    add(client, {"probability": 1.0, "times": 2, "seed": 1, "action": {"error": True}})
    outcomes = [envelope(web.get(operation="getchallenge", username="admin"))["success"] for _ in range(4)]
    assert outcomes == [False, False, True, True]
    assert client.get("/_mock/faults").json()["faults"][0]["seed"] == 1


def test_http_status_fault(client: TestClient, web: Ws) -> None:
    add(client, {"operation": "query", "action": {"http_status": 503, "body": "Service Unavailable"}})
    response = web.get(operation="query", query="select * from Accounts;")
    assert response.status_code == 503
    assert response.text == "Service Unavailable"
    assert response.headers["content-type"].startswith("text/html")
    client.delete("/_mock/faults")
    add(client, {"action": {"http_status": 502, "body": {"message": "bad gateway"}}})
    response = web.get(operation="listtypes")
    assert response.status_code == 502 and response.json() == {"message": "bad gateway"}


def test_delay_fault_sleeps_then_answers(
    client: TestClient, web: Ws, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("vtiger_mock.app.asyncio.sleep", fake_sleep)
    add(client, {"operation": "getchallenge", "action": {"delay_ms": 800}})
    assert result(web.get(operation="getchallenge", username="admin"))["token"]
    assert slept == [0.8]
    client.delete("/_mock/faults")
    add(client, {"action": {"delay_ms": 50, "http_status": 504}})
    assert web.get(operation="listtypes").status_code == 504
    assert slept == [0.8, 0.05]


def test_a_fault_after_the_operation_lets_the_write_happen(client: TestClient, web: Ws) -> None:
    web.login()
    add(client, {"operation": "create", "when": "after", "times": 1, "action": {"error": True}})
    assert failure(web.create("Accounts", account("Written anyway")))[0] == "INTERNAL_SERVER_ERROR"
    names = [r["accountname"] for r in web.query("select accountname from Accounts;")]
    assert names == ["Written anyway"]


def test_drop_connection_in_process_raises() -> None:
    with TestClient(make_app()) as client:
        add(client, {"operation": "getchallenge", "action": {"drop_connection": True}})
        with pytest.raises(ConnectionDropped):
            Ws(client).get(operation="getchallenge", username="admin")


def test_drop_connection_closes_a_real_connection() -> None:
    app = make_app()
    server = ServerThread(app)
    url = server.start()
    try:
        with httpx.Client(base_url=url) as http:
            assert (
                http.post("/_mock/faults", json={"times": 1, "action": {"drop_connection": True}}).status_code
                == 201
            )
            with pytest.raises(httpx.TransportError):
                http.get("/webservice.php", params={"operation": "getchallenge", "username": "admin"})
            # The next request is answered normally; the drop is in the journal.
            assert Ws(http).challenge()["token"]
            dropped = http.get("/_mock/requests").json()["requests"][0]
            assert dropped["fault"]["action"] == "drop_connection" and dropped["http_status"] == 0
    finally:
        server.stop()


def test_listing_removing_and_clearing_rules(client: TestClient) -> None:
    first = add(client, {"operation": "create", "action": {"error": True}})
    second = add(client, {"operation": "*", "action": {"delay_ms": 1}})
    assert [r["id"] for r in client.get("/_mock/faults").json()["faults"]] == [first["id"], second["id"]]
    assert second["operation"] is None
    assert client.delete(f"/_mock/faults/{first['id']}").json() == {"deleted": first["id"]}
    assert client.delete(f"/_mock/faults/{first['id']}").status_code == 404
    assert client.delete("/_mock/faults").json() == {"cleared": 1}
    assert client.get("/_mock/faults").json()["faults"] == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "needs an action"),
        ({"action": {}}, "action must be an object"),
        ({"action": {"explode": True}}, "unknown action key"),
        ({"action": {"error": True, "http_status": 500}}, "only one of"),
        ({"action": {"http_status": 99}}, "at least 200"),
        ({"action": {"delay_ms": -5}}, "at least 0"),
        ({"action": {"delay_ms": 10, "body": "x"}}, "go with http_status"),
        ({"action": {"drop_connection": False}}, "must be true"),
        ({"action": {"error": "oops"}}, "action.error must be an object"),
        ({"times": 0, "action": {"error": True}}, "times must be at least 1"),
        ({"probability": 1.5, "action": {"error": True}}, "at most 1"),
        ({"seed": 3, "action": {"error": True}}, "seed goes with probability"),
        ({"operation": 5, "action": {"error": True}}, "operation must be"),
        ({"when": "later", "action": {"error": True}}, "when must be"),
        ({"colour": "red", "action": {"error": True}}, "unknown fault key"),
    ],
)
def test_bad_rules_are_a_400_with_a_reason(client: TestClient, rule: dict[str, Any], message: str) -> None:
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
