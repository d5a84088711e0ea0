"""A small client for the admin API, used by the pytest plugin and the CLI.

Standard library only (urllib): the plugin and the CLI must work where only the emulator's own
dependencies are installed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any


class AdminAPIError(Exception):
    """The admin API refused a request (4xx/5xx with its JSON error), or could not be reached."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class AdminClient:
    """`url` is the server's root, e.g. http://127.0.0.1:8000 (not the /webservice.php URL)."""

    def __init__(self, url: str, token: str | None = None, timeout: float | None = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # ------------------------------------------------------------------ transport

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        raw: bool = False,
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self.url}/_mock{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload: bytes = response.read()
        except urllib.error.HTTPError as exc:
            raise self._error(exc.code, exc.read()) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AdminAPIError(0, "unreachable", f"{url}: {reason}") from None
        if raw:
            return payload.decode("utf-8")
        return json.loads(payload) if payload else None

    @staticmethod
    def _error(status: int, payload: bytes) -> AdminAPIError:
        try:
            error = json.loads(payload)["error"]
            return AdminAPIError(status, str(error["code"]), str(error["message"]))
        except (ValueError, KeyError, TypeError):
            return AdminAPIError(status, "http_error", payload.decode("utf-8", "replace")[:200])

    # ------------------------------------------------------------------ health and reset

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/health")
        return result

    def reset(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", "/reset")
        return result

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", f"/snapshots/{urllib.parse.quote(name, safe='')}")
        return result

    def restore(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", f"/snapshots/{urllib.parse.quote(name, safe='')}/restore")
        return result

    def snapshots(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/snapshots")["snapshots"]
        return result

    def delete_snapshot(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("DELETE", f"/snapshots/{urllib.parse.quote(name, safe='')}")
        return result

    # ------------------------------------------------------------------ clock

    def clock(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", "/clock")
        return result

    def freeze_clock(self, at: float | str | None = None) -> dict[str, Any]:
        """Freeze at `at` (epoch or ISO 8601), or at the current time."""
        result: dict[str, Any] = self.call(
            "PUT", "/clock", {"freeze": True} if at is None else {"freeze_at": at}
        )
        return result

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self.call("PUT", "/clock", {"advance": seconds})
        return result

    def real_clock(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("PUT", "/clock", {"real": True})
        return result

    # ------------------------------------------------------------------ journal

    def requests(
        self,
        operation: str | None = None,
        *,
        since: float | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        params = {"operation": operation, "since": since, "after": after, "limit": limit}
        result: list[dict[str, Any]] = self.call("GET", "/requests", params=params)["requests"]
        return result

    def clear_requests(self) -> int:
        return int(self.call("DELETE", "/requests")["cleared"])

    # ------------------------------------------------------------------ faults

    def add_fault(
        self,
        operation: str | Sequence[str] | None = None,
        *,
        error: str | Mapping[str, Any] | bool | None = None,
        http_status: int | None = None,
        body: Any = None,
        content_type: str | None = None,
        delay_ms: float | None = None,
        drop_connection: bool = False,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        when: str = "before",
    ) -> dict[str, Any]:
        """`error` may be a code ("ACCESS_DENIED"), {"code", "message"}, or True (internal error)."""
        action: dict[str, Any] = {}
        if error is not None and error is not False:
            action["error"] = (
                {"code": error} if isinstance(error, str) else ({} if error is True else dict(error))
            )
        if http_status is not None:
            action["http_status"] = http_status
        if body is not None:
            action["body"] = body
        if content_type is not None:
            action["content_type"] = content_type
        if delay_ms is not None:
            action["delay_ms"] = delay_ms
        if drop_connection:
            action["drop_connection"] = True
        rule: dict[str, Any] = {"action": action, "when": when}
        if operation is not None:
            rule["operation"] = operation if isinstance(operation, str) else list(operation)
        for key, value in (("times", times), ("probability", probability), ("seed", seed)):
            if value is not None:
                rule[key] = value
        result: dict[str, Any] = self.call("POST", "/faults", rule)
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/faults")["faults"]
        return result

    def clear_faults(self) -> int:
        return int(self.call("DELETE", "/faults")["cleared"])

    def remove_fault(self, rule_id: int) -> None:
        self.call("DELETE", f"/faults/{rule_id}")

    # ------------------------------------------------------------------ users, seeding, dumps

    def create_user(self, user_name: str, **options: Any) -> dict[str, Any]:
        """Options: access_key, is_admin, password, first_name, last_name, email, role, status, fields."""
        result: dict[str, Any] = self.call("POST", "/users", {"user_name": user_name, **options})
        return result

    def users(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/users")["users"]
        return result

    def seed(
        self,
        records: Mapping[str, Any] | None = None,
        *,
        demo: bool = False,
        scale: int | None = None,
        modules: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if demo:
            body["demo"] = True
        if records is not None:
            body["records"] = dict(records)
        if scale is not None:
            body["scale"] = scale
            if modules is not None:
                body["modules"] = list(modules)
            if seed is not None:
                body["seed"] = seed
        result: dict[str, Any] = self.call("POST", "/seed", body)
        return result

    def dump(self, modules: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
        params = {"modules": ",".join(modules)} if modules else None
        result: dict[str, list[dict[str, Any]]] = self.call("GET", "/dump", params=params)
        return result
