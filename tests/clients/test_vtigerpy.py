"""The real `vtigerpy` client (PyPI; it needs `requests`, which it does not declare) against a real
uvicorn server on 127.0.0.1.

vtigerpy 0.0.1 fetches the challenge with a POST whose parameters are only in the URL (getchallenge is
a GET-type operation, so $_GET still has them), logs in with a form POST, and exposes
`get(operation, **params)` / `post(operation, **params)` returning `requests` responses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ACCESS_KEY, SESSION_FORMAT, live_server
from vtiger_mock.app import build_app
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import Settings

pytest.importorskip("requests")
vtigerpy = pytest.importorskip("vtigerpy")


@pytest.fixture
def endpoint(crm: CRM) -> Iterator[str]:
    with live_server(build_app(Settings(admin_access_key=ACCESS_KEY), crm=crm)) as url:
        yield url


def result_of(response: Any) -> Any:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is True, body
    return body["result"]


def error_of(response: Any) -> tuple[str, str]:
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False, body
    return body["error"]["code"], body["error"]["message"]


def test_vtigerpy_logs_in_and_does_crud(endpoint: str) -> None:
    vt = vtigerpy.Vtiger(endpoint, "admin", ACCESS_KEY)
    assert SESSION_FORMAT.match(vt.sessionName)

    created = result_of(
        vt.post(
            "create",
            elementType="Accounts",
            element=json.dumps({"accountname": "Client Co/é", "assigned_user_id": "19x1", "employees": "12"}),
        )
    )
    assert created["id"] == "11x2"
    assert created["accountname"] == "Client Co/é"
    assert created["account_no"] == "ACC1"
    assert created["employees"] == "12"

    retrieved = result_of(vt.get("retrieve", id=created["id"]))
    assert retrieved == created

    revised = result_of(vt.post("revise", element=json.dumps({"id": created["id"], "phone": "555-0199"})))
    assert revised["phone"] == "555-0199"
    assert revised["accountname"] == "Client Co/é"
    assert result_of(vt.get("retrieve", id=created["id"]))["phone"] == "555-0199"

    assert result_of(vt.post("delete", id=created["id"])) == {"status": "successful"}
    denied = ("ACCESS_DENIED", "Permission to perform the operation is denied")
    assert error_of(vt.get("retrieve", id=created["id"])) == denied
    assert error_of(vt.post("delete", id=created["id"])) == denied


def test_vtigerpy_describe_listtypes_and_logout(endpoint: str) -> None:
    vt = vtigerpy.Vtiger(endpoint, "admin", ACCESS_KEY)
    assert "Accounts" in result_of(vt.get("listtypes"))["types"]
    assert result_of(vt.get("describe", elementType="Contacts"))["name"] == "Contacts"
    # vtigerpy sends everything as parameters of the method it is asked to use; GET-type
    # operations sent by POST lose their parameters, as on a real Vtiger.
    assert error_of(vt.post("retrieve", id="19x1")) == (
        "ACCESS_DENIED",
        "Permission to perform the operation is denied for id",
    )
    assert result_of(vt.post("logout")) == {"message": "successfull"}
    assert error_of(vt.get("listtypes"))[0] == "INVALID_SESSIONID"


def test_vtigerpy_reports_a_wrong_access_key(endpoint: str) -> None:
    with pytest.raises(Exception, match="INVALID_USER_CREDENTIALS"):
        vtigerpy.Vtiger(endpoint, "admin", "wrongAccessKey00")


def test_vtigerpy_reports_an_unknown_user(endpoint: str) -> None:
    with pytest.raises(Exception, match="username does not exists"):
        vtigerpy.Vtiger(endpoint, "nosuchuser", ACCESS_KEY)


def test_vtigerpy_with_an_existing_session(endpoint: str) -> None:
    first = vtigerpy.Vtiger(endpoint, "admin", ACCESS_KEY)
    second = vtigerpy.Vtiger(endpoint, "admin", ACCESS_KEY, sessionName=first.sessionName)
    assert result_of(second.get("retrieve", id="19x1"))["user_name"] == "admin"
