"""webservice.php: from a parsed request to an envelope, in the order real Vtiger does things."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from typing import Any

import orjson
import sqlalchemy.exc

from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol import envelope, errors
from vtiger_mock.protocol.context import Context
from vtiger_mock.protocol.envelope import Reply
from vtiger_mock.protocol.registry import Operation, OperationRegistry
from vtiger_mock.protocol.request import WsRequest
from vtiger_mock.settings import Settings

log = logging.getLogger("vtiger_mock")


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # PHP's json_decode knows no NaN / Infinity


# Digits enough for an integer beyond 64 bits (19 for one below -2**63).
_LONG_DIGITS = re.compile(r"\d{19}")
_UNREAD = object()

# json_decode's default nesting limit.
PHP_JSON_DEPTH = 512


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _read_fast(text: str) -> Any:
    try:
        return orjson.loads(text)
    except ValueError:  # orjson.JSONDecodeError: the standard library has its say
        return _UNREAD


def decode_json(text: str) -> Any:
    """PHP json_decode($v, true): anything it cannot decode becomes null, never an error.

    orjson reads most texts several times faster.  The standard library's parser reads the rest:
    what orjson refuses (lone surrogates, too deep) and long digit runs, where orjson makes an
    integer beyond 64 bits a float but the standard library keeps it whole."""
    value = _read_fast(text) if _LONG_DIGITS.search(text) is None else _UNREAD
    if value is _UNREAD:
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return None
    # Nesting needs an opening bracket per level: most texts cannot be too deep, unwalked.
    if text.count("[") + text.count("{") > PHP_JSON_DEPTH and _depth(value) > PHP_JSON_DEPTH:
        return None
    return value


def operation_params(op: Operation, request: WsRequest) -> dict[str, Any]:
    """GET-type operations read only the query string, POST-type only the body (OperationManager);
    falsy values ("" and "0") count as missing (vtws_getParameter)."""
    source = request.query if op.http_type == "GET" else request.body
    params: dict[str, Any] = {}
    for name, kind in op.params:
        value = source.get(name)
        if value is None or value in ("", "0"):
            params[name] = None
        elif kind == "encoded":
            params[name] = decode_json(value)
        else:
            params[name] = value
    return params


class Dispatcher:
    def __init__(self, crm: CRM, registry: OperationRegistry, settings: Settings) -> None:
        self.crm = crm
        self.registry = registry
        self.settings = settings

    def handle(self, request: WsRequest) -> Reply:
        return self.handle_as(request)[0]

    def handle_as(self, request: WsRequest) -> tuple[Reply, str | None]:
        """The response, and the user name of the session it ran under (for the journal)."""
        acting: list[str] = []
        return self._handle(request, acting), (acting[0] if acting else None)

    def _handle(self, request: WsRequest, acting: list[str]) -> Reply:
        op = self.registry.get(request.operation)
        if op is None:
            # Thrown outside webservice.php's try block: PHP answers 500 with an empty body.
            return envelope.uncaught()
        fmt = request.request_param("format")
        if fmt not in (None, "", "0", "json"):
            # No encoder for other formats: the request dies after the JSON header went out.
            return envelope.uncaught(envelope.CONTENT_TYPE)
        try:
            try:
                with self.crm.db.transaction(op.transaction) as conn:
                    result = self._run(op, request, conn, acting)
            except (sqlite3.OperationalError, sqlalchemy.exc.OperationalError) as busy:
                # A read-mode request that wrote (a session touched by the idle timeout) and met
                # another process's write: everything rolled back; again, holding the write lock.
                if op.transaction != "read" or "database is locked" not in str(busy):
                    raise
                acting.clear()
                with self.crm.db.transaction("write") as conn:
                    result = self._run(op, request, conn, acting)
            return envelope.success(result)
        except errors.WebServiceError as error:
            return envelope.failure(error)
        except Exception:
            # Any other failure inside a handler is Vtiger's INTERNAL_SERVER_ERROR, never a traceback.
            log.exception("operation %s failed", op.name)
            return envelope.failure(errors.internal_error())

    def _run(self, op: Operation, request: WsRequest, conn: Any, acting: list[str]) -> Any:
        if op.extends_session and "operation" not in request.body:
            raise errors.authentication_required()
        session_id = request.session_name
        user_id: int | None = None
        actor = None
        if session_id is not None and not op.extends_session:
            found = self.crm.auth.session_actor(conn, session_id, self.settings.session_idle_timeout)
            if found is None:
                raise errors.invalid_session()
            user_id, actor = found
        if session_id is None and not op.prelogin:
            raise errors.authentication_required()
        if user_id is not None and actor is None and not op.prelogin:
            raise errors.authentication_required()  # the session's user was deleted
        if actor is not None:
            acting.append(actor.user_name)
        context = Context(
            crm=self.crm,
            settings=self.settings,
            request=request,
            conn=conn,
            session_id=session_id,
            actor_or_none=actor,
        )
        return op.handler(context, operation_params(op, request))
