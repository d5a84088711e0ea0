"""The request journal: what every client sent to /webservice.php and what it got back.

Kept in memory, newest last, bounded (`journal_size`).  Secrets are masked whenever an entry is
made from what was kept, so neither the journal's answers nor `--log-requests` output ever show an
access key or a password.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from vtiger_mock.protocol.request import UploadedFile, WsRequest

MASK = "********"
# Parameter names (any case) whose values are secrets: login's accessKey (an md5 that replays as a
# credential while its token lives) and the password operations' parameters.
SECRET_PARAMS = frozenset({"accesskey", "password", "oldpassword", "newpassword", "confirmpassword"})
# Keys inside JSON parameters (create/update `element`) that are secrets.
SECRET_FIELDS = frozenset({"accesskey", "user_password", "confirm_password", "password"})


def _may_hold_secret(value: str) -> bool:
    lowered = value.lower()
    return any(key in lowered for key in SECRET_FIELDS)


def _mask_json(value: str) -> str:
    """`element={"user_password": ...}` → the same JSON with the secret values masked."""
    if not _may_hold_secret(value):
        return value  # the common case: keep exactly what the client sent
    try:
        data = json.loads(value)
    except ValueError:
        return value
    if not isinstance(data, dict):
        return value
    masked = {k: (MASK if k.lower() in SECRET_FIELDS else v) for k, v in data.items()}
    return json.dumps(masked, ensure_ascii=False)


def mask_params(params: dict[str, str]) -> dict[str, str]:
    """`params` with secrets masked: the same dict when it holds none (a request's parameters are
    never changed after parsing), a masked copy otherwise."""
    if not any(name.lower() in SECRET_PARAMS or _may_hold_secret(value) for name, value in params.items()):
        return params
    return {
        name: MASK if name.lower() in SECRET_PARAMS else _mask_json(value) for name, value in params.items()
    }


@dataclass
class Entry:
    id: int
    time: float  # the emulator's clock (frozen or moved by tests), epoch seconds
    method: str
    path: str
    operation: str | None  # lower-cased, as the registry looks it up; None when absent
    query: dict[str, str]  # parameters that came in the URL query string (secrets masked)
    body: dict[str, str]  # parameters that came in the form body (secrets masked)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # uploads: name, type, size
    user: str | None = None  # the session's user (or the user logging in)
    http_status: int = 200
    success: bool | None = None  # None when the answer is not a Vtiger envelope (HTTP 500, faults)
    error_code: str | int | None = None
    error_message: str | None = None
    latency_ms: float = 0.0  # wall-clock time spent answering, injected delays included
    fault: dict[str, Any] | None = None  # the fault rule that fired: {"id", "action"}

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["query_params"] = list(self.query)
        out["body_params"] = list(self.body)
        return out


class Answered(NamedTuple):
    """What the webservice knew when it answered, kept as it is and made an Entry when the journal
    is read (rarely, unlike requests): masking, the files summary and the error's code are worked
    out then.  A flat tuple of strings, numbers and the request's parameter dicts (never changed
    after parsing): the garbage collector stops tracking it, where a thousand kept objects made
    every request pay for GC."""

    id: int
    time: float
    method: str
    query: dict[str, str]  # as the client sent them: masked when read
    body: dict[str, str]
    files: dict[str, UploadedFile]
    path: str
    user: str | None  # the session's user
    http_status: int
    success: bool | None  # True for a success envelope, else None (decided from `failure`)
    failure: bytes | None  # the body of any other HTTP 200 answer (error envelopes are small)
    latency_s: float
    fault: tuple[int, str] | None  # (rule id, action)

    def entry(self) -> Entry:
        code: str | int | None = None
        message: str | None = None
        success = self.success
        if self.failure is not None and self.failure.startswith(b'{"success":false'):
            success = False
            try:
                error = json.loads(self.failure)["error"]
                code, message = error.get("code"), error.get("message")
            except (ValueError, KeyError, TypeError):
                pass
        operation = WsRequest(self.method, self.query, self.body).operation
        user = self.user
        if user is None and success and operation == "login":
            user = self.body.get("username")  # a login has no session yet: the user logging in
        return Entry(
            id=self.id,
            time=self.time,
            method=self.method,
            path=self.path,
            operation=operation,
            query=mask_params(self.query),
            body=mask_params(self.body),
            files={
                name: {"filename": f.filename, "content_type": f.content_type, "size": len(f.data)}
                for name, f in self.files.items()
            },
            user=user,
            http_status=self.http_status,
            success=success,
            error_code=code,
            error_message=message,
            latency_ms=round(self.latency_s * 1000, 3),
            fault={"id": self.fault[0], "action": self.fault[1]} if self.fault is not None else None,
        )


class Journal:
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[Answered] = deque(maxlen=size or None)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def next_id(self) -> int:
        return next(self._ids)  # count() is atomic under the GIL: no lock per request

    def add(self, answered: Answered) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries.append(answered)

    def entries(
        self,
        *,
        operation: str | None = None,
        since: float | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """Oldest first; `limit` keeps the newest `limit` of the matching entries."""
        with self._lock:
            kept = list(self._entries)
        found = [answered.entry() for answered in kept]
        if operation is not None:
            wanted = operation.lower()
            found = [e for e in found if (e.operation or "") == wanted]
        if since is not None:
            found = [e for e in found if e.time >= since]
        if after is not None:
            found = [e for e in found if e.id > after]
        if limit is not None:
            found = found[-limit:] if limit else []
        return found

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def restart(self) -> None:
        """Empty, with ids from 1 again (a reset is a fresh start for the journal too)."""
        with self._lock:
            self._entries.clear()
            self._ids = itertools.count(1)
