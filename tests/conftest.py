"""Shared test helpers.

- `crm`: a fresh in-memory CRM (the `vtiger-8.2` profile) whose clock is frozen at START_EPOCH;
  one CRM is built per session and emptied between tests, which is ~15x faster than rebuilding it.
- `ws`: a `WsClient` speaking to that CRM through the ASGI app (Starlette's TestClient).
- `live_server(app)`: the app served by uvicorn on 127.0.0.1 in a background thread, for real clients.
- `recorded(name)`: one exchange of the real Vtiger 8.2.0 recordings (the oracle); skips without them.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from vtiger_mock.app import build_app
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import Settings

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "real-vtiger-8.2"
ACCESS_KEY = "testAccessKey123"  # 16 chars of [a-zA-Z0-9], like a real Vtiger access key
# serverTime of the first getchallenge in the recordings.
START_EPOCH = 1_795_391_829
URL = "/webservice.php"
SESSION_FORMAT = re.compile(r"^[0-9a-f]{14,22}$")


def pytest_configure(config: pytest.Config) -> None:
    # Starlette warns about httpx on every import of its TestClient; it is noise here.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


# ---------------------------------------------------------------------------------------- recordings


@functools.cache
def _transcript(file_name: str) -> dict[str, dict[str, Any]]:
    path = REFERENCE_DIR / file_name
    if not path.exists():
        return {}
    exchanges = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {e["name"]: e for e in exchanges}


def recorded(name: str, file_name: str = "transcript.jsonl") -> dict[str, Any]:
    """One recorded exchange of the real Vtiger 8.2.0; the test is skipped without the recordings."""
    exchanges = _transcript(file_name)
    if not exchanges:
        pytest.skip(f"reference recordings not found in {REFERENCE_DIR}")
    return exchanges[name]


def recorded_exchanges(file_name: str = "transcript.jsonl") -> list[dict[str, Any]]:
    return list(_transcript(file_name).values())


def same_json(a: Any, b: Any) -> bool:
    """Equal including the order of object keys (what a client iterating the JSON sees)."""
    return json.dumps(a) == json.dumps(b)


# ---------------------------------------------------------------------------------------- the CRM


def new_crm(database_url: str = "sqlite://", *, access_key: str = ACCESS_KEY) -> CRM:
    crm = CRM(Settings().profile_dir, database_url, admin_access_key=access_key, clock=Clock())
    crm.initialize()
    return crm


def reset_crm(crm: CRM) -> None:
    """Back to a fresh install: every table emptied, then seeded again by initialize()."""
    with crm.db.transaction("write") as conn:
        for table in reversed(crm.db.metadata.sorted_tables):
            conn.execute(table.delete())
    crm.initialize()


@pytest.fixture(scope="session")
def _session_crm() -> CRM:
    return new_crm()


@pytest.fixture
def crm(_session_crm: CRM) -> CRM:
    reset_crm(_session_crm)
    _session_crm.clock.freeze(START_EPOCH)
    return _session_crm


# ---------------------------------------------------------------------------------------- HTTP


class WsClient:
    """A thin webservice client over any httpx-compatible client (TestClient or httpx.Client)."""

    def __init__(self, http: httpx.Client, access_key: str = ACCESS_KEY) -> None:
        self.http = http
        self.access_key = access_key
        self.session: str | None = None

    def get(self, **params: str) -> httpx.Response:
        return self.http.get(URL, params=params)

    def post(self, query: Mapping[str, str] | None = None, /, **body: str) -> httpx.Response:
        """POST `body` as a form; `query` (positional) goes into the URL's query string."""
        return self.http.post(URL, params=dict(query or {}), data=body)

    def challenge(self, username: str = "admin") -> dict[str, Any]:
        result: dict[str, Any] = ok(self.get(operation="getchallenge", username=username))
        return result

    def login(self, username: str = "admin") -> str:
        token = self.challenge(username)["token"]
        result = ok(
            self.post(operation="login", username=username, accessKey=md5_hex(token + self.access_key))
        )
        self.session = str(result["sessionName"])
        return self.session

    def sget(self, **params: str) -> httpx.Response:
        """GET with the current session."""
        assert self.session is not None
        return self.get(sessionName=self.session, **params)

    def spost(self, **body: str) -> httpx.Response:
        """POST with the current session."""
        assert self.session is not None
        return self.post(sessionName=self.session, **body)

    def create(self, element_type: str, element: Mapping[str, Any]) -> dict[str, Any]:
        response = self.spost(operation="create", elementType=element_type, element=json.dumps(element))
        result: dict[str, Any] = ok(response)
        return result

    def send_recorded(self, exchange: Mapping[str, Any]) -> httpx.Response:
        """Send a recorded request as it was sent (GET: query string; POST: form body, plus
        `query_string_params` in the URL), with `<SESSION>` replaced by the current session."""

        def fill(params: Mapping[str, str]) -> dict[str, str]:
            return {k: (self.session or "") if v == "<SESSION>" else v for k, v in params.items()}

        params = fill(exchange["params"])
        query = fill(exchange.get("query_string_params") or {})
        if exchange["method"] == "GET":
            return self.http.get(URL, params={**query, **params})
        return self.http.post(URL, params=query, data=params)


def json_envelope(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    return body


def ok(response: httpx.Response) -> Any:
    body = json_envelope(response)
    assert body["success"] is True, body
    return body["result"]


def error(response: httpx.Response) -> tuple[str | int, str]:
    body = json_envelope(response)
    assert body["success"] is False, body
    assert list(body) == ["success", "error"]
    return body["error"]["code"], body["error"]["message"]


@pytest.fixture
def app(crm: CRM) -> Starlette:
    return build_app(Settings(admin_access_key=ACCESS_KEY), crm=crm)


@pytest.fixture
def ws(app: Starlette) -> Iterator[WsClient]:
    with TestClient(app) as client:
        yield WsClient(client)


# ---------------------------------------------------------------------------------------- live server


@contextmanager
def live_server(app: Starlette, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `app` with uvicorn in a background thread on a free port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn exited before it started")
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start within 10 s")
            time.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
