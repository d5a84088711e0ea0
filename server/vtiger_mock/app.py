"""The application factory.  All state hangs off the app, so a test can build as many as it likes.

`app.state` holds `settings`, `crm` (the state layer), `dispatcher` (the webservice) and `control`
(the test-control surface: reset, snapshots, clock, journal, faults — see admin/).
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from vtiger_mock.admin.control import MockControl
from vtiger_mock.admin.faults import Rule
from vtiger_mock.admin.journal import Answered
from vtiger_mock.admin.routes import PREFIX, admin_routes, health_only_routes
from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.seeding import Seeder, read_fixture
from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol import envelope
from vtiger_mock.protocol.dispatch import Dispatcher
from vtiger_mock.protocol.envelope import Reply
from vtiger_mock.protocol.registry import OperationRegistry
from vtiger_mock.protocol.request import WsRequest, read_bodiless_request, read_request
from vtiger_mock.settings import Settings

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_ROUTED_METHODS = frozenset([*_METHODS, "HEAD"])  # Route adds HEAD wherever GET is allowed
# The start of every success envelope (protocol/envelope.py): lets the journal tell success from
# failure without parsing large query results.
_SUCCESS_PREFIX = b'{"success":true'
_new_answered = partial(tuple.__new__, Answered)

request_log = logging.getLogger("vtiger_mock.requests")
log = logging.getLogger("vtiger_mock")


def build_crm(settings: Settings, clock: Clock | None = None) -> CRM:
    """The CRM of `settings`: database, fresh-install records, and `seed_data` when the database
    is new (an existing database file is used as it is)."""
    crm = CRM(
        settings.profile_dir,
        settings.database_url,
        admin_access_key=settings.admin_access_key,
        clock=clock,
        seed=settings.seed,
    )
    if settings.freeze_at is not None:
        crm.clock.freeze(settings.freeze_at)
    fresh = crm.initialize()
    if fresh and settings.seed_data:
        Seeder(crm).load(read_fixture(settings.seed_data, settings.fixtures_dir))
    return crm


class ConnectionDropped(Exception):
    """A drop_connection fault where the server gives no way to close the socket (in-process
    transports): the client sees an exception instead of an answer, as with a dropped connection."""


class Webservice:
    """/webservice.php as an ASGI app: faults and the journal around the dispatcher.

    Raw ASGI rather than a request → response function, because dropping a connection needs the
    transport, which only the server's `receive` callable leads to.  Handlers are synchronous and
    short: running them on the event loop keeps SQLite access serialised within the process and
    avoids a thread hop per request.
    """

    def __init__(self, dispatcher: Dispatcher, control: MockControl, settings: Settings) -> None:
        self.dispatcher = dispatcher
        self.control = control
        self.journal = control.journal
        self.crm = control.crm
        self.log_requests = settings.log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Wall time for latency (a measurement); the emulated clock stamps the entry.
        started = time.perf_counter()
        try:
            if scope["method"] == "POST":
                ws = await read_request(scope, receive)
            else:
                ws = read_bodiless_request(scope)
            rule = self.control.faults.pick(ws.operation)
            response: Reply | None
            user: str | None
            if rule is None:  # no fault: straight to the dispatcher, no coroutine in between
                response, user = self.dispatcher.handle_as(ws)
            else:
                response, user = await self._faulted(ws, rule)
            if self.journal.enabled or self.log_requests:
                self._record(ws, scope, user, response, rule, started)
        except Exception:
            # The dispatcher turns handler failures into envelopes; anything else is PHP's
            # uncaught error (HTTP 500, empty body), never a traceback on the wire.
            log.exception("webservice request failed")
            response = envelope.uncaught()
        if response is None:  # drop_connection
            await self._drop(receive)
            return
        await response(scope, receive, send)

    async def _faulted(self, ws: WsRequest, rule: Rule) -> tuple[Reply | None, str | None]:
        """The answer, with the faults of `rule` applied, and the session's user (for the journal)."""
        action = rule.action
        if rule.when == "before":
            if action.delay_ms:
                await asyncio.sleep(action.delay_ms / 1000)
            if not action.replaces_response:
                return self.dispatcher.handle_as(ws)
            # The dispatcher names the session's user; a fault that answers instead needs a lookup.
            watched = self.journal.enabled or self.log_requests
            return self._fault_response(rule), (self._session_user(ws) if watched else None)
        # "after": the operation runs and commits, then the fault
        answered, user = self.dispatcher.handle_as(ws)
        if action.delay_ms:
            await asyncio.sleep(action.delay_ms / 1000)
        return (self._fault_response(rule) if action.replaces_response else answered), user

    # ------------------------------------------------------------------ faults

    @staticmethod
    def _fault_response(rule: Rule) -> Reply | None:
        action = rule.action
        if action.error is not None:
            return envelope.failure(action.error)
        if action.http_status is not None:
            body = action.body.encode("utf-8") if isinstance(action.body, str) else action.body
            return Reply(body, action.http_status, action.content_type)
        return None  # drop_connection

    @staticmethod
    async def _drop(receive: Receive) -> None:
        # uvicorn's `receive` is a method of the request cycle, which holds the transport.
        cycle = getattr(receive, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None or not hasattr(transport, "close"):
            raise ConnectionDropped("drop_connection fault: the connection is closed without an answer")
        transport.close()
        # Let the server see the disconnection before this app returns, so that it does not try
        # to send its own "no response" 500 on the closed connection.
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    # ------------------------------------------------------------------ journal

    def _session_user(self, ws: WsRequest) -> str | None:
        session = ws.session_name
        if session is None:
            return None
        try:
            with self.crm.db.transaction() as conn:
                found = self.crm.auth.session_actor(conn, session, None)
        except Exception:  # the journal must never be the reason a request fails
            return None
        actor = found[1] if found is not None else None
        return actor.user_name if actor is not None else None

    def _record(
        self,
        ws: WsRequest,
        scope: Scope,
        user: str | None,
        response: Reply | None,
        rule: Rule | None,
        started: float,
    ) -> None:
        journal = self.journal
        if response is not None:
            status, body = response.status_code, response.body
        else:
            status, body = 0, b""
        success = status == 200 and body.startswith(_SUCCESS_PREFIX)
        # Built as a plain tuple of Answered's fields (NamedTuple's own __new__ is Python code run
        # on every request).
        answered: Answered = _new_answered(
            (
                journal.next_id(),
                self.crm.clock.now(),
                ws.method,
                ws.query,
                ws.body,
                ws.files,
                scope["path"],
                user,
                status,
                True if success else None,
                # A failure's body is kept (small) to read its code and message from when it is read.
                body if status == 200 and not success else None,
                time.perf_counter() - started,
                (rule.id, rule.action.kind) if rule is not None else None,
            )
        )
        journal.add(answered)
        if not self.log_requests:
            return
        entry = answered.entry()
        code = entry.error_code
        request_log.info(
            "%s %s -> %s %s %.1fms user=%s query=%s body=%s%s",
            entry.method,
            entry.operation or "-",
            status or "dropped",
            "ok" if entry.success else (str(code) if code is not None else "-"),
            entry.latency_ms,
            entry.user or "-",
            ",".join(entry.query) or "-",
            ",".join(entry.body) or "-",
            f" fault#{rule.id}:{rule.action.kind}" if rule is not None else "",
        )


async def _http_error(request: Request, exc: Exception) -> Response:
    """404/405 under /_mock/ answer the admin API's JSON error; elsewhere Starlette's plain text."""
    assert isinstance(exc, HTTPException)
    if request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/"):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return JSONResponse(
            {"error": {"code": code, "message": message}}, status_code=exc.status_code, headers=exc.headers
        )
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


WEBSERVICE_PATH = "/webservice.php"


class MockApp(Starlette):
    """The Starlette app with /webservice.php answered before routing.

    Starlette's middleware and router cost a webservice call about as much as reading it does;
    the admin API and everything else still go through them.  Methods Route would refuse (405)
    still reach the router, so answers are the same either way.
    """

    webservice: Webservice | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.webservice is not None
            and scope["type"] == "http"
            and scope["path"] == WEBSERVICE_PATH
            and scope["method"] in _ROUTED_METHODS
        ):
            scope["app"] = self
            await self.webservice(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def app_from_env() -> Starlette:
    """An app configured only by VTIGER_MOCK_* variables: what `serve --workers N` runs in each
    worker process (uvicorn's factory)."""
    return build_app(Settings.from_env())


def build_app(settings: Settings | None = None, *, crm: CRM | None = None) -> Starlette:
    settings = settings or Settings()
    crm = crm or build_crm(settings)
    registry = OperationRegistry.from_file(settings.profile_dir / "operations.json")
    dispatcher = Dispatcher(crm, registry, settings)
    control = MockControl(crm, settings)
    control.capture_baseline()

    webservice = Webservice(dispatcher, control, settings)
    routes: list[Any] = [Route(WEBSERVICE_PATH, webservice, methods=_METHODS)]
    routes += admin_routes(control, settings) if settings.admin_enabled else health_only_routes(control)
    app = MockApp(routes=routes, exception_handlers={HTTPException: _http_error})
    app.webservice = webservice
    app.state.settings = settings
    app.state.crm = crm
    app.state.dispatcher = dispatcher
    app.state.control = control
    return app
