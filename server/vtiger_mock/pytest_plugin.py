"""pytest plugin (entry point `pytest11`): a real vtiger-mock server for the test session.

Fixtures:

- `vtiger_mock` (session): a server on 127.0.0.1 and a free port, in a background thread, reset
  before every test that uses it (`@pytest.mark.vtiger_mock(reset=False)` opts a test out).  It is a
  `VtigerMock`: `base_url` (the /webservice.php URL), `url`, `username`, `access_key`, `login()`,
  and the admin API as methods (`reset()`, `freeze_clock()`, `advance_clock()`, `requests()`,
  `add_fault()`, `snapshot()`, `restore()`, `create_user()`, `seed()`, `dump()`...).
- `vtiger_mock_app` (function): an ASGI app for in-process use (httpx.ASGITransport, Starlette's
  TestClient), reset before each test; `app.state.control` offers the same operations in-process.
- `vtiger_mock_settings` (session): the `Settings` both are built from; override it in a
  conftest.py, or set the ini options `vtiger_mock_seed_data` (demo | FILE) and `vtiger_mock_seed`.

Only what the fixtures need is imported when they are first used, so the plugin costs nothing in
sessions that do not use it.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from vtiger_mock.admin.client import AdminClient

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from vtiger_mock.settings import Settings

STARTUP_TIMEOUT = 15.0


class ServerThread:
    """An app served by uvicorn in a daemon thread, on 127.0.0.1 and a port the OS picks."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        import uvicorn

        # Bind first and hand uvicorn the socket: no window in which another process takes the port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="vtiger-mock"
        )
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                sock.close()
                raise RuntimeError("vtiger-mock: uvicorn exited before it started")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise TimeoutError(f"vtiger-mock: the server did not start within {STARTUP_TIMEOUT:g} s")
            time.sleep(0.005)
        self._server, self._thread, self._socket = server, thread, sock
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None


class VtigerMock(AdminClient):
    """A running emulator: where to reach it, who to log in as, and its admin API."""

    def __init__(self, url: str, settings: Settings, app: Starlette | None = None) -> None:
        super().__init__(url, token=settings.admin_token)
        self.settings = settings
        self.app = app
        self.base_url = f"{self.url}/webservice.php"
        self.username = "admin"
        self.access_key = settings.admin_access_key

    def login(self, username: str | None = None, access_key: str | None = None) -> str:
        """getchallenge + login as a client does; returns the session name."""
        username = username or self.username
        access_key = access_key or self.access_key
        query = urllib.parse.urlencode({"operation": "getchallenge", "username": username})
        with urllib.request.urlopen(f"{self.base_url}?{query}", timeout=self.timeout) as response:
            challenge = json.loads(response.read())
        if not challenge.get("success"):
            raise RuntimeError(f"getchallenge failed: {challenge}")
        key = hashlib.md5((challenge["result"]["token"] + access_key).encode()).hexdigest()
        form = urllib.parse.urlencode({"operation": "login", "username": username, "accessKey": key}).encode()
        with urllib.request.urlopen(self.base_url, data=form, timeout=self.timeout) as response:
            login = json.loads(response.read())
        if not login.get("success"):
            raise RuntimeError(f"login failed: {login}")
        return str(login["result"]["sessionName"])

    def __repr__(self) -> str:
        return f"VtigerMock({self.base_url!r})"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("vtiger_mock_seed_data", "vtiger-mock fixtures: records to start from (demo | FILE)")
    parser.addini("vtiger_mock_seed", "vtiger-mock fixtures: deterministic-mode seed (integer)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "vtiger_mock(reset=True): options of the vtiger_mock fixture for one test (reset=False: no reset)",
    )


@pytest.fixture(scope="session")
def vtiger_mock_settings(pytestconfig: pytest.Config) -> Settings:
    """The Settings of vtiger_mock and vtiger_mock_app (override it in a conftest.py)."""
    from vtiger_mock.settings import Settings

    seed_data = str(pytestconfig.getini("vtiger_mock_seed_data") or "") or None
    seed_text = str(pytestconfig.getini("vtiger_mock_seed") or "").strip()
    if seed_text and not seed_text.lstrip("-").isdigit():
        raise pytest.UsageError(f"vtiger_mock_seed must be an integer, not {seed_text!r}")
    # Deliberately not Settings.from_env(): a CI job's VTIGER_MOCK_* variables are meant for the
    # emulator it runs as a service, not for this in-process one.
    return Settings(seed_data=seed_data, seed=int(seed_text) if seed_text else None)


def _build_app(settings: Settings) -> Starlette:
    from vtiger_mock.app import build_app

    return build_app(settings)


@pytest.fixture(scope="session")
def vtiger_mock(vtiger_mock_settings: Settings) -> Iterator[VtigerMock]:
    """A live emulator on 127.0.0.1 for the session, reset before each test that uses it."""
    app = _build_app(vtiger_mock_settings)
    server = ServerThread(app)
    server.start()
    try:
        yield VtigerMock(server.url, vtiger_mock_settings, app)
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _vtiger_mock_reset(request: pytest.FixtureRequest) -> None:
    """Resets the session's server before each test that uses it (a session fixture cannot)."""
    if "vtiger_mock" not in request.fixturenames:
        return
    marker = request.node.get_closest_marker("vtiger_mock")
    if marker is not None and not marker.kwargs.get("reset", True):
        return
    mock: VtigerMock = request.getfixturevalue("vtiger_mock")
    mock.reset()


@pytest.fixture(scope="session")
def _vtiger_mock_session_app(vtiger_mock_settings: Settings) -> Starlette:
    return _build_app(vtiger_mock_settings)


@pytest.fixture
def vtiger_mock_app(_vtiger_mock_session_app: Starlette) -> Starlette:
    """The emulator as an ASGI app for in-process clients, reset before the test."""
    # Built once per session (building costs ~100 ms), reset per test (~2 ms).
    _vtiger_mock_session_app.state.control.reset()
    return _vtiger_mock_session_app
