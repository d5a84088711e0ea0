"""Response envelopes, encoded the way PHP's json_encode does with default flags."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from vtiger_mock.protocol.errors import WebServiceError

# Real Vtiger sends exactly this header: no charset parameter.
CONTENT_TYPE = "application/json"
_JSON_HEADER = CONTENT_TYPE.encode("latin-1")


class Reply:
    """An HTTP answer of /webservice.php: status, body and Content-Type, sent as two ASGI messages.

    Lighter than a Starlette Response (no header list built per answer), which every request of a
    CI stand-in would pay for; the headers on the wire are the same (content-length, content-type).
    """

    __slots__ = ("body", "content_type", "status_code")

    def __init__(self, body: bytes, status_code: int = 200, content_type: str = CONTENT_TYPE) -> None:
        self.body = body
        self.status_code = status_code
        self.content_type = content_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = (
            _JSON_HEADER if self.content_type is CONTENT_TYPE else self.content_type.encode("latin-1")
        )
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": [
                    (b"content-length", str(len(self.body)).encode("latin-1")),
                    (b"content-type", content_type),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


def php_json(value: Any) -> bytes:
    # json_encode escapes "/" as "\/" and every non-ASCII character as \uXXXX; "/" can only
    # occur inside JSON strings, so a plain replace is safe.  orjson encodes several times faster
    # and prints the same bytes for ASCII output; anything else takes the standard library's path.
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # integers beyond 64 bits
        encoded = b"\x80"
    if encoded.isascii():
        return encoded.replace(b"/", b"\\/")
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


class Encoded:
    """A result already encoded by php_json (kept by a handler that answers the same often)."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json


_SUCCESS_OPEN = b'{"success":true,"result":'


def success(result: Any) -> Reply:
    if isinstance(result, Encoded):
        return Reply(b"".join((_SUCCESS_OPEN, result.json, b"}")))
    return Reply(php_json({"success": True, "result": result}))


def failure(error: WebServiceError) -> Reply:
    # Key order as on the wire from 8.2.0: message first (the exception's property order).
    body = {"success": False, "error": {"message": error.message, "code": error.code}}
    return Reply(php_json(body))


def uncaught(content_type: str = "text/html; charset=UTF-8") -> Reply:
    """What PHP shows for an uncaught exception with display_errors off: HTTP 500, empty body.
    Failures after webservice.php has sent its JSON header keep that header."""
    return Reply(b"", 500, content_type)
