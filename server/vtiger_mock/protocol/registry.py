"""The operation registry: name → handler, where its parameters are read from, pre-login or not.

Filled from the profile's operations.json, so a profile can add, remove or re-wire operations
without touching code (vtiger_ws_operation / vtiger_ws_operation_parameters in real Vtiger).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from vtiger_mock.crm.database import TransactionMode

ParamType = Literal["string", "encoded"]
Handler = Callable[[Any, dict[str, Any]], Any]


@dataclass(frozen=True)
class Operation:
    name: str
    http_type: Literal["GET", "POST"]  # where the parameters are read from ($_GET or $_POST)
    prelogin: bool
    params: tuple[tuple[str, ParamType], ...]
    handler: Handler
    # extendsession: adopts whatever session it is given instead of rejecting unknown ids, and
    # insists on `operation` being in the POST body (webservice.php).
    extends_session: bool = False
    # How the request's statements are grouped (crm/database.py, Transaction):
    # - "write": SQLite's write lock taken up front (BEGIN IMMEDIATE): every POST operation.  A
    #   deferred transaction that reads and then writes can meet another process's write and fail
    #   instead of waiting.
    # - "read": a deferred transaction (GET operations).
    # - "autocommit": no transaction around the handler; each statement commits on its own.  For
    #   handlers whose writes stand alone (getchallenge's token: one statement), where BEGIN and
    #   COMMIT would be most of SQLite's work.
    transaction: TransactionMode = "read"


def _transaction_mode(spec: dict[str, Any]) -> TransactionMode:
    mode = spec.get("transaction", "write" if spec["type"].upper() == "POST" else "read")
    if mode not in ("read", "write", "autocommit"):
        raise ValueError(f"unknown transaction mode {mode!r}")
    return mode  # type: ignore[no-any-return]


def _resolve(path: str) -> Handler:
    module_name, _, attr = path.partition(":")
    handler = getattr(importlib.import_module(module_name), attr)
    if not callable(handler):
        raise TypeError(f"{path} is not callable")
    return handler  # type: ignore[no-any-return]


class OperationRegistry:
    def __init__(self, operations: dict[str, Operation]) -> None:
        self._ops = operations

    @classmethod
    def from_file(cls, path: Path) -> OperationRegistry:
        data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        ops: dict[str, Operation] = {}
        for name, spec in data.items():
            params = tuple(
                (p["name"], "encoded" if p.get("type", "String").lower() == "encoded" else "string")
                for p in spec.get("params", [])
            )
            # Lookup is case-insensitive (MySQL collation), so changePassword is stored lower-cased.
            ops[name.lower()] = Operation(
                name=name,
                http_type="POST" if spec["type"].upper() == "POST" else "GET",
                prelogin=bool(spec.get("prelogin", False)),
                params=params,  # type: ignore[arg-type]
                handler=_resolve(spec["handler"]),
                extends_session=bool(spec.get("extendsSession", False)),
                transaction=_transaction_mode(spec),
            )
        return cls(ops)

    def get(self, name: str | None) -> Operation | None:
        if name is None:
            return None
        return self._ops.get(name.lower())

    def names(self) -> list[str]:
        return [op.name for op in self._ops.values()]
