"""Reading a request the way PHP fills $_GET, $_POST and $_REQUEST."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.datastructures import UploadFile
from starlette.requests import Request, cookie_parser
from starlette.types import Receive, Scope

# php.ini max_input_vars: variables beyond it are dropped (with a warning nobody sees).
PHP_MAX_INPUT_VARS = 1000


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


class WsRequest:
    """One webservice request as PHP sees it: $_GET, $_POST, $_FILES and $_COOKIE.  Never changed
    after parsing.  A plain slotted class: every request builds one, and a frozen dataclass's
    __init__ costs several times as much."""

    __slots__ = ("body", "cookies", "files", "method", "query")

    def __init__(
        self,
        method: str,
        query: dict[str, str],
        body: dict[str, str],
        files: dict[str, UploadedFile] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> None:
        self.method = method
        self.query = query
        self.body = body
        self.files: dict[str, UploadedFile] = files if files is not None else {}
        self.cookies: dict[str, str] = cookies if cookies is not None else {}

    def __repr__(self) -> str:
        return f"WsRequest(method={self.method!r}, query={self.query!r}, body={self.body!r})"

    def request_param(self, name: str) -> str | None:
        """$_REQUEST: the body wins over the query string (PHP's default request_order "GP")."""
        if name in self.body:
            return self.body[name]
        return self.query.get(name)

    @property
    def operation(self) -> str | None:
        op = self.request_param("operation")
        return op.lower() if op is not None else None

    @property
    def session_name(self) -> str | None:
        """sessionName, with PHP-falsy values ("", "0") and any case of "null" meaning absent
        (vtws_getParameter, SessionManager)."""
        value = self.request_param("sessionName")
        if value is None or value in ("", "0") or value.lower() == "null":
            return None
        return value


# A "%" that does not start a two-digit hex escape (kept as it is by the decoders).
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _unquote_plus(text: str) -> str:
    """urllib's unquote_plus (escapes decoded as UTF-8, bad bytes replaced), its common case in C.

    Quoted-printable's "=XX" escapes are URL encoding's "%XX": for ASCII text with no "=" (which
    quoted-printable would read) and only well-formed escapes, binascii decodes in one call what
    urllib decodes escape by escape, the same bytes decoded the same way."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if text.isascii() and "=" not in text and _BAD_ESCAPE.search(text) is None:
        return binascii.a2b_qp(text.replace("%", "=")).decode("utf-8", "replace")
    return unquote(text, encoding="utf-8", errors="replace")


def _form_pairs(text: str) -> dict[str, str]:
    """$_GET / $_POST from an urlencoded string, as the standard library's parse_qsl reads it
    (blank values kept, empty pairs dropped, the last of repeated names wins, as PHP keeps it for
    names without []), PHP's max_input_vars kept."""
    out: dict[str, str] = {}
    parts = text.split("&")
    if "" in parts:
        parts = [p for p in parts if p]
    if len(parts) > PHP_MAX_INPUT_VARS:
        parts = parts[:PHP_MAX_INPUT_VARS]
    if "%" not in text and "+" not in text:  # nothing to decode: most GET query strings
        for part in parts:
            name, _, value = part.partition("=")
            out[name] = value
        return out
    for part in parts:
        name, _, value = part.partition("=")
        out[_unquote_plus(name)] = _unquote_plus(value)
    return out


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: what arrived is all there is
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _query_and_headers(scope: Scope) -> tuple[dict[str, str], str, str]:
    """$_GET, the Content-Type (lower-cased) and the Cookie header."""
    # Starlette decodes the raw query string as latin-1 too; escapes are decoded as UTF-8.
    query = _form_pairs(scope["query_string"].decode("latin-1"))
    content_type = ""
    cookie_header = ""
    for key, value in scope["headers"]:
        if key == b"content-type":
            content_type = value.decode("latin-1").lower()
        elif key == b"cookie":
            cookie_header = value.decode("latin-1")
    return query, content_type, cookie_header


def read_bodiless_request(scope: Scope) -> WsRequest:
    """A request of any method but POST, whose body PHP never reads: nothing to wait for, so
    the webservice's GET requests (most of them) need no coroutine here."""
    query, _, cookie_header = _query_and_headers(scope)
    return WsRequest(
        scope["method"], query, {}, None, cookie_parser(cookie_header) if cookie_header else None
    )


async def read_request(scope: Scope, receive: Receive) -> WsRequest:
    """The request straight from the ASGI scope: every webservice call pays for this, and a
    Starlette Request (headers, URL and query objects) costs more than the parsing itself."""
    if scope["method"] != "POST":
        return read_bodiless_request(scope)
    query, content_type, cookie_header = _query_and_headers(scope)
    body: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    # PHP fills $_POST only from these two encodings; a raw JSON body is never parsed.
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = _form_pairs((await _read_body(receive)).decode("utf-8", "replace"))
    elif content_type.startswith("multipart/form-data"):
        body, files = await _read_multipart(scope, receive)
    return WsRequest("POST", query, body, files, cookie_parser(cookie_header) if cookie_header else None)


async def _read_multipart(scope: Scope, receive: Receive) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    body: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    try:
        form = await Request(scope, receive).form(max_files=100, max_fields=10_000)
    except Exception:  # malformed multipart: PHP would see an empty $_POST
        return body, files
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[key] = UploadedFile(
                filename=value.filename or "",
                content_type=value.content_type or "application/octet-stream",
                data=await value.read(),
            )
        else:
            body[key] = value
    return body, files
