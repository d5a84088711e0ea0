"""Reading a request the way PHP fills $_GET, $_POST and $_REQUEST."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

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


async def read_request(request: Request) -> WsRequest:
    query = _last_values(request.query_params.multi_items())
    body: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").lower()
        # PHP fills $_POST only from these two encodings; a raw JSON body is never parsed.
        if content_type.startswith("application/x-www-form-urlencoded"):
            # The standard library's parser: a quarter of the cost of Starlette's form parsing,
            # and what every write operation pays.
            text = (await request.body()).decode("utf-8", "replace")
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")
            body = _last_values(pairs[:PHP_MAX_INPUT_VARS])
        elif content_type.startswith("multipart/form-data"):
            try:
                form = await request.form(max_files=100, max_fields=10_000)
            except Exception:  # malformed multipart: PHP would see an empty $_POST
                form = None
            if form is not None:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        files[key] = UploadedFile(
                            filename=value.filename or "",
                            content_type=value.content_type or "application/octet-stream",
                            data=await value.read(),
                        )
                    else:
                        body[key] = value
    return WsRequest(
        method=request.method, query=query, body=body, files=files, cookies=dict(request.cookies)
    )
