"""Reading a request the way PHP fills $_GET, $_POST and $_REQUEST."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

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


@dataclass(frozen=True)
class WsRequest:
    method: str
    query: dict[str, str]
    body: dict[str, str]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

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


def _last_values(items: Any) -> dict[str, str]:
    # PHP keeps the last of repeated keys (without []); so does this.
    out: dict[str, str] = {}
    for key, value in items:
        if isinstance(value, str):
            out[key] = value
    return out


def _form_pairs(text: str) -> dict[str, str]:
    """$_GET / $_POST from an urlencoded string: the standard library's parser (a quarter of the
    cost of Starlette's), PHP's max_input_vars kept."""
    if "%" not in text and "+" not in text:
        # Nothing to decode (most GET query strings): parse_qsl's result without its unquoting.
        out: dict[str, str] = {}
        for part in [p for p in text.split("&") if p][:PHP_MAX_INPUT_VARS]:
            name, _, value = part.partition("=")
            out[name] = value
        return out
    pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")
    return _last_values(pairs[:PHP_MAX_INPUT_VARS])


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


async def read_request(scope: Scope, receive: Receive) -> WsRequest:
    """The request straight from the ASGI scope: every webservice call pays for this, and a
    Starlette Request (headers, URL and query objects) costs more than the parsing itself."""
    method: str = scope["method"]
    # Starlette decodes the raw query string as latin-1 too; escapes are decoded as UTF-8.
    query = _form_pairs(scope["query_string"].decode("latin-1"))
    content_type = ""
    cookie_header = ""
    for key, value in scope["headers"]:
        if key == b"content-type":
            content_type = value.decode("latin-1").lower()
        elif key == b"cookie":
            cookie_header = value.decode("latin-1")
    body: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    if method == "POST":
        # PHP fills $_POST only from these two encodings; a raw JSON body is never parsed.
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = _form_pairs((await _read_body(receive)).decode("utf-8", "replace"))
        elif content_type.startswith("multipart/form-data"):
            body, files = await _read_multipart(scope, receive)
    return WsRequest(
        method=method,
        query=query,
        body=body,
        files=files,
        cookies=cookie_parser(cookie_header) if cookie_header else {},
    )


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
