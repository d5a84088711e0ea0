"""Helpers for the test-control surface tests.

Most tests use the plugin's own `vtiger_mock_app` fixture (one app per session, reset before each
test — the surface testing itself); tests that need other settings build their app with `make_app`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from vtiger_mock.app import build_app
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.settings import DEFAULT_ADMIN_ACCESS_KEY, Settings

WS = "/webservice.php"


def make_app(**settings: Any) -> Starlette:
    return build_app(Settings(**settings))


class Ws:
    """Just enough of a webservice client to drive the emulator from admin tests."""

    def __init__(self, http: httpx.Client, access_key: str = DEFAULT_ADMIN_ACCESS_KEY) -> None:
        self.http = http
        self.access_key = access_key
        self.session: str | None = None

    def get(self, **params: str) -> httpx.Response:
        return self.http.get(WS, params=params)

    def post(self, query: Mapping[str, str] | None = None, /, **body: str) -> httpx.Response:
        return self.http.post(WS, params=dict(query or {}), data=body)

    def challenge(self, username: str = "admin") -> dict[str, Any]:
        answer: dict[str, Any] = result(self.get(operation="getchallenge", username=username))
        return answer

    def login(self, username: str = "admin", access_key: str | None = None) -> str:
        token = self.challenge(username)["token"]
        key = md5_hex(token + (access_key or self.access_key))
        self.session = str(
            result(self.post(operation="login", username=username, accessKey=key))["sessionName"]
        )
        return self.session

    def create(self, module: str, element: Mapping[str, Any]) -> httpx.Response:
        assert self.session is not None
        return self.post(
            operation="create", sessionName=self.session, elementType=module, element=json.dumps(element)
        )

    def query(self, vtql: str) -> list[dict[str, Any]]:
        assert self.session is not None
        rows: list[dict[str, Any]] = result(self.get(operation="query", sessionName=self.session, query=vtql))
        return rows


def envelope(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def result(response: httpx.Response) -> Any:
    body = envelope(response)
    assert body["success"] is True, body
    return body["result"]


def failure(response: httpx.Response) -> tuple[Any, str]:
    body = envelope(response)
    assert body["success"] is False, body
    return body["error"]["code"], body["error"]["message"]


def account(name: str = "Acme") -> dict[str, str]:
    return {"accountname": name, "assigned_user_id": "19x1"}


@pytest.fixture
def client(vtiger_mock_app: Starlette) -> Iterator[TestClient]:
    with TestClient(vtiger_mock_app) as http:
        yield http


@pytest.fixture
def web(client: TestClient) -> Ws:
    return Ws(client)
