"""Response envelopes, encoded the way PHP's json_encode does with default flags."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response

from vtiger_mock.protocol.errors import WebServiceError

# Real Vtiger sends exactly this header: no charset parameter.
CONTENT_TYPE = "application/json"


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


def success(result: Any) -> Response:
    return Response(php_json({"success": True, "result": result}), media_type=CONTENT_TYPE)


def failure(error: WebServiceError) -> Response:
    # Key order as on the wire from 8.2.0: message first (the exception's property order).
    body = {"success": False, "error": {"message": error.message, "code": error.code}}
    return Response(php_json(body), media_type=CONTENT_TYPE)


def uncaught(content_type: str = "text/html; charset=UTF-8") -> Response:
    """What PHP shows for an uncaught exception with display_errors off: HTTP 500, empty body.
    Failures after webservice.php has sent its JSON header keep that header."""
    return Response(b"", status_code=500, media_type=content_type)
