"""JSON in and out for the admin API: one error shape, input checks that say what was wrong."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


class AdminError(Exception):
    """A refused admin request: `{"error": {"code": ..., "message": ...}}` with a 4xx status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def bad_request(message: str) -> AdminError:
    return AdminError(400, "invalid_request", message)


def not_found(message: str) -> AdminError:
    return AdminError(404, "not_found", message)


def error_response(error: AdminError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message}}, status_code=error.status, headers=headers
    )


def ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def json_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; an empty body is {} when the body is optional."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise bad_request("expected a JSON object in the request body")
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    return data


def check_keys(data: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise bad_request(
            f"unknown {what} key(s): {', '.join(unknown)} (expected: {', '.join(sorted(allowed))})"
        )


def number(value: Any, name: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    # bool is an int in Python, but `"advance": true` is a client mistake, not 1 second.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad_request(f"{name} must be a number")
    if minimum is not None and value < minimum:
        raise bad_request(f"{name} must be at least {minimum:g}")
    if maximum is not None and value > maximum:
        raise bad_request(f"{name} must be at most {maximum:g}")
    return float(value)


def integer(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise bad_request(f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise bad_request(f"{name} must be at most {maximum}")
    return value


def text(value: Any, name: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise bad_request(
            f"{name} must be a non-empty string" if not allow_empty else f"{name} must be a string"
        )
    return value


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false")
    return value


def query_number(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"query parameter {name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise bad_request(f"query parameter {name} must be a finite number")
    return value


def query_integer(request: Request, name: str, *, minimum: int = 0) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"query parameter {name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise bad_request(f"query parameter {name} must be at least {minimum}")
    return value
