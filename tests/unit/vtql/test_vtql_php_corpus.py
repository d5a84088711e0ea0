"""Statements whose outcome was recorded by running Vtiger 8.2.0's own VTQL_Lexer.php and
VTQL_Parser.php under PHP 8.2 (php_oracle_corpus.jsonl, one JSON object per line).

The statements were generated (mutated recordings and token soup) and chosen to cover every distinct
kind of answer, most of them shaped by lemon's stack corruption.  Vtiger's metadata was replaced by
the small stub in MODULES: unknown module → ACCESS_DENIED for name, unknown field → ACCESS_DENIED,
reference value without "x" → INVALID_ID_ATTRIBUTE.  Each line holds either the error (code and
message, plus "crash" where PHP hangs or dies instead of answering) or the parse result, as Vtiger's
`$this->out` holds it: the column list, module, where lists (id values, which Vtiger rewrites, as
null; a lost value as null), order-by fields with direction, and limit values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vtiger_mock.protocol import errors
from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql import Condition, CountStar, ParserCrash, Query, Star, Value, ValueKind, parse

CORPUS = Path(__file__).with_name("php_oracle_corpus.jsonl")
MODULES = {
    "Accounts": {"id": "id", "accountname": "s", "phone": "s", "industry": "s", "employees": "s",
                 "account_id": "ref", "assigned_user_id": "owner", "a": "s", "b": "s"},
    "Contacts": {"id": "id", "lastname": "s", "account_id": "ref", "assigned_user_id": "owner", "a": "s"},
    "M": {"id": "id", "a": "s", "b": "s", "c": "s", "d": "s", "x": "s", "AccountName": "s"},
    "N": {"id": "id", "a": "s", "b": "s"},
    "Leads": {"id": "id", "a": "s"},
    "accounts": {"id": "id", "AccountName": "s", "Phone": "s"},
}  # fmt: skip


def cases() -> list[Any]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    return [pytest.param(row, id=f"{n}") for n, row in enumerate(rows)]


def run(text: str) -> Query:
    module: dict[str, dict[str, str]] = {}

    def check_module(name: str) -> None:
        if name not in MODULES:
            raise errors.access_denied_for_name(name)
        module["fields"] = MODULES[name]

    def check_select_column(name: str) -> None:
        if name not in module["fields"]:
            raise errors.select_column_denied(name)

    def check_where(condition: Condition) -> None:
        fields = module["fields"]
        if condition.field not in fields:
            raise errors.where_column_denied(condition.field)
        if fields[condition.field] == "ref" and any("x" not in v.raw for v in condition.values):
            raise errors.invalid_id()

    return parse(
        text, check_module=check_module, check_select_column=check_select_column, check_where=check_where
    )


def raw(value: Value) -> str | None:
    return None if value.kind is ValueKind.MISSING else value.raw


def as_vtiger_out(query: Query) -> dict[str, Any]:
    columns = (
        ["*"]
        if isinstance(query.columns, Star)
        else ["count(*)"]
        if isinstance(query.columns, CountStar)
        else list(query.columns)
    )
    out: dict[str, Any] = {"column_list": columns, "moduleName": query.module}
    if query.where is not None:
        conditions = query.where.conditions
        out["where"] = [
            [c.field for c in conditions],
            [c.operator.value for c in conditions],
            [
                None
                if c.field == "id"
                else raw(c.values[0])
                if len(c.values) == 1
                else [raw(v) for v in c.values]
                for c in conditions
            ],
            [c.value for c in query.where.connectors],
        ]
    if query.order_by is not None:
        out["orderby"] = list(query.order_by.fields)
        if query.order_by.direction is not None:
            out["sortOrder"] = query.order_by.direction.value
    if query.limit is not None:
        out["limit"] = [
            raw(v) for v in ([query.limit.offset] if query.limit.offset else []) + [query.limit.count]
        ]
    return out


@pytest.mark.parametrize("case", cases())
def test_same_outcome_as_vtigers_php(case: dict[str, Any]) -> None:
    if "tree" in case:
        assert as_vtiger_out(run(case["query"])) == case["tree"]
        return
    expected = ParserCrash if case.get("crash") else WebServiceError
    with pytest.raises(WebServiceError) as caught:
        run(case["query"])
    assert isinstance(caught.value, expected)
    assert isinstance(caught.value, ParserCrash) == bool(case.get("crash"))
    assert (caught.value.code, caught.value.message) == (case["code"], case["message"])
