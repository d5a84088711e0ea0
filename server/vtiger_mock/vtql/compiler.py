"""VTQL tree → one SQLAlchemy Core SELECT over the module's table, with Vtiger 8.2.0's semantics.

Every client value reaches SQL as a bound parameter, and a value's bind is computed from the value
only when the query runs (`CompiledQuery.arguments`): the tree of a statement's shape (vtql/shapes.py)
compiles once, with placeholders, and serves every statement of that shape.  So nothing the
compiler decides may depend on a quoted value's text, only on its field and its kind.

Where real Vtiger would paste text that MySQL then rejects (an unknown ORDER BY column, a bare word
that names no column, an id without "x"), 8.2.0 swallows the database error and answers an empty
list; the compiler builds no statement for such a query, or, when a value is to blame,
`arguments` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from vtiger_mock.crm.database import CONVERTED, DELETED, LIVE
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.schema import FieldMeta, ModuleMeta
from vtiger_mock.crm.values import mysql_number, split_ws_id
from vtiger_mock.protocol import errors
from vtiger_mock.vtql.ast import (
    Condition,
    Connector,
    CountStar,
    Direction,
    Operator,
    Query,
    Star,
    Value,
    ValueKind,
)

VtqlLogic = Literal["left-to-right", "sql"]

# Vtiger caps every query at 100 rows, whatever LIMIT asks for.
ROW_CAP = 100

_NUMERIC_KINDS = {"integer", "decimal", "boolean", "reference", "owner"}


class _Broken(Exception):
    """The SQL real Vtiger would send is invalid: 8.2.0 answers []."""


class ValueBind(NamedTuple):
    """A bind parameter carrying a value of the statement, computed when the query runs."""

    name: str
    source: Value | int  # the tree's value, or the index of a template placeholder (vtql/shapes.py)
    convert: Callable[[Value], Any]  # raises _Broken when the value makes Vtiger's SQL invalid


@dataclass(frozen=True)
class CompiledQuery:
    statement: sa.Select[Any] | None  # None: the query yields [] without touching the database
    binds: tuple[ValueBind, ...]  # the statement's value parameters (the others it fixed itself)
    fields: tuple[FieldMeta, ...]  # the fields to print (select * → all of them)
    output: tuple[str, ...] | None  # key order of an explicit column list ("id" included)
    count: bool
    # count(*) is one row; LIMIT still applies to it (`limit 1, 5` → [])
    count_offset: int = 0
    count_limit: int = ROW_CAP

    def arguments(self, values: Sequence[Value] = ()) -> dict[str, Any] | None:
        """The value parameters for a statement whose placeholders stand for `values`; None when
        a value breaks the SQL real Vtiger would send (8.2.0 answers [])."""
        try:
            return {
                b.name: b.convert(values[b.source] if isinstance(b.source, int) else b.source)
                for b in self.binds
            }
        except _Broken:
            return None


def module_checker(modules: ModuleRegistry) -> Callable[[str], None]:
    def check_module(name: str) -> None:
        if modules.get(name) is None:
            raise errors.access_denied_for_name(name)

    return check_module


def select_checker(modules: ModuleRegistry, query_module: Callable[[], str]) -> Callable[[str], None]:
    def check_select_column(name: str) -> None:
        module = modules.get(query_module())
        if name != "id" and (module is None or module.field(name) is None):
            raise errors.select_column_denied(name)

    return check_select_column


def where_checker(modules: ModuleRegistry, query_module: Callable[[], str]) -> Callable[[Condition], None]:
    def check_where(condition: Condition) -> None:
        module = modules.get(query_module())
        f = module.field(condition.field) if module is not None else None
        if condition.field != "id" and f is None:
            raise errors.where_column_denied(condition.field)
        # Reference values must look like webservice ids; owners and id are not checked here.
        if f is not None and f.type_name == "reference" and any("x" not in v.text for v in condition.values):
            raise errors.invalid_id()

    return check_where


class Compiler:
    def __init__(self, module: ModuleMeta, table: sa.Table, logic: VtqlLogic) -> None:
        self.module = module
        self.table = table
        self.logic = logic
        self._placeholders: Mapping[str, int] = {}
        self._binds: list[ValueBind] = []

    def compile(self, query: Query, placeholders: Mapping[str, int] | None = None) -> CompiledQuery:
        """`query`'s statement; `placeholders` maps the raw text of each placeholder value in a
        shape's template tree to its index among the values `arguments` will be given."""
        self._placeholders = placeholders or {}
        self._binds = []
        fields, output = self._columns(query)
        count = isinstance(query.columns, CountStar)
        try:
            where = self._where(query)
            offset, limit = self._limit(query)
            order = self._order(query)
        except _Broken:
            return CompiledQuery(None, (), fields, output, count)
        binds = tuple(self._binds)
        if count:
            statement = sa.select(sa.func.count()).select_from(self.table).where(*where)
            return CompiledQuery(statement, binds, (), None, True, count_offset=offset, count_limit=limit)
        statement = sa.select(self.table).where(*where).order_by(*order).offset(offset).limit(limit)
        return CompiledQuery(statement, binds, fields, output, False)

    def _bind(self, value: Value, convert: Callable[[Value], Any]) -> sa.BindParameter[Any]:
        """A bind parameter for `value`, converted by `convert` when the query runs."""
        name = f"value_{len(self._binds)}"
        self._binds.append(ValueBind(name, self._placeholders.get(value.raw, value), convert))
        # Not `required`: a statement with a fixed IN list is compiled with its values (post-compile).
        return sa.bindparam(name, None, required=False)

    # ------------------------------------------------------------------ clauses

    def _columns(self, query: Query) -> tuple[tuple[FieldMeta, ...], tuple[str, ...] | None]:
        if isinstance(query.columns, (Star, CountStar)):
            return tuple(self.module.fields), None
        names = list(query.columns)
        if "id" not in names:
            names.append("id")  # Vtiger always appends the id
        fields = tuple(f for n in dict.fromkeys(names) if (f := self.module.field(n)) is not None)
        return fields, tuple(dict.fromkeys(names))

    def _implicit(self) -> list[ColumnElement[bool]]:
        """What Vtiger always adds: live records only, the module's own rows of a shared table."""
        t = self.table
        out: list[ColumnElement[bool]] = [t.c[DELETED] == LIVE, t.c[CONVERTED] == LIVE]
        sel = self.module.selector
        if sel is not None:
            column = sa.func.coalesce(t.c[self.module.by_name[sel.field].col], "")
            out.append(column.in_(sel.equals) if sel.equals else column.not_in(sel.not_in))
        if self.module.kind == "users" and self.module.field("status") is not None:
            out.append(t.c[self.module.by_name["status"].col] == "Active")  # inactive users are hidden
        return out

    def _where(self, query: Query) -> list[ColumnElement[bool]]:
        clauses = self._implicit()
        if query.where is None:
            return clauses
        conditions = [self._condition(c) for c in query.where.conditions]
        connectors = query.where.connectors
        if self.logic == "sql":
            # Vtiger pastes the list into one SQL parenthesis: AND binds tighter than OR.
            groups: list[list[ColumnElement[bool]]] = [[conditions[0]]]
            for connector, condition in zip(connectors, conditions[1:], strict=True):
                if connector is Connector.AND:
                    groups[-1].append(condition)
                else:
                    groups.append([condition])
            clauses.append(sa.or_(*(sa.and_(*g) for g in groups)))
        else:
            combined = conditions[0]
            for connector, condition in zip(connectors, conditions[1:], strict=True):
                combined = (
                    sa.and_(combined, condition)
                    if connector is Connector.AND
                    else sa.or_(combined, condition)
                )
            clauses.append(combined)
        return clauses

    def _condition(self, condition: Condition) -> ColumnElement[bool]:
        f = None if condition.field == "id" else self.module.by_name[condition.field]
        column: ColumnElement[Any] = self.table.c.crmid if f is None else self.table.c[f.col]
        op = condition.operator
        plain = f is not None and f.kind not in ("reference", "owner")
        if op is Operator.LIKE and plain and condition.values[0].kind is not ValueKind.WORD:
            # A LIKE pattern is text whatever the column ("employees like '1%'"); a plain bound
            # string also keeps SQLite's LIKE index optimisation, which a CAST would defeat.
            return self._text_of(condition.field, column).like(self._bind(condition.values[0], _text))
        values = [self._value(f, v) if f is not None else self._bind(v, _id_value) for v in condition.values]
        if op is Operator.IN:
            return column.in_(values)
        value = values[0]
        if op is Operator.LIKE:
            text_column = self._text_of(condition.field, column)
            if plain:
                # A word: null (MySQL: matches nothing), or a word naming another column; op()
                # because like() refuses a NULL operand.
                return text_column.op("LIKE", is_comparison=True)(value)
            return text_column.like(sa.cast(value, sa.Text))
        comparisons: dict[Operator, Callable[[Any, Any], ColumnElement[bool]]] = {
            Operator.EQ: lambda c, v: c == v,
            Operator.NE: lambda c, v: c != v,
            Operator.LT: lambda c, v: c < v,
            Operator.GT: lambda c, v: c > v,
            Operator.LTE: lambda c, v: c <= v,
            Operator.GTE: lambda c, v: c >= v,
        }
        return comparisons[op](column, value)

    def _text_of(self, name: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """MySQL applies LIKE to a number's text: a decimal column with its scale ("1013.00000000"),
        an id or reference as digits ("account_id like '11x%'" → LIKE '%')."""
        f = self.module.field(name)
        if f is not None and f.kind == "decimal":
            return sa.func.printf(f"%.{f.scale if f.scale is not None else 8}f", column)
        return column if isinstance(column.type, sa.Text) else sa.cast(column, sa.Text)

    def _value(self, f: FieldMeta, value: Value) -> Any:
        if value.kind is ValueKind.WORD:
            if value.text.lower() == "null":
                return sa.null()  # "= null" is legal SQL that matches nothing
            other = self.module.field(value.text)
            if other is not None:
                return self.table.c[other.col]  # a bare word naming a column compares columns
            if "x" not in value.text:
                raise _Broken  # MySQL: unknown column
        if f.kind in ("reference", "owner"):
            return self._bind(value, _record_number)
        if f.kind in _NUMERIC_KINDS:
            return self._bind(value, _number)
        return self._bind(value, _text)

    def _order(self, query: Query) -> list[ColumnElement[Any]]:
        if query.order_by is None:
            return [self.table.c.crmid]
        columns: list[ColumnElement[Any]] = []
        for name in query.order_by.fields:
            if name == "id":
                columns.append(self.table.c.crmid)
                continue
            f = self.module.field(name)
            if f is None:
                raise _Broken  # unknown ORDER BY column: MySQL error
            columns.append(self.table.c[f.col])
        if query.order_by.direction is Direction.DESC:
            columns[-1] = columns[-1].desc()  # one direction, applied to the last field only
        return [*columns, self.table.c.crmid]

    def _limit(self, query: Query) -> tuple[int, int]:
        if query.limit is None:
            return 0, ROW_CAP
        count = _integer(query.limit.count)
        offset = _integer(query.limit.offset) if query.limit.offset is not None else 0
        if (count is not None and count < 0) or (offset is not None and offset < 0):
            raise _Broken
        return offset or 0, ROW_CAP if count is None else min(count, ROW_CAP)


# How a value becomes its bind parameter, when the query runs.


def _text(value: Value) -> str:
    return value.text


def _id_value(value: Value) -> str:
    # The prefix is ignored ("99x5" means record 5); without an "x" the SQL is broken.
    if "x" not in value.text:
        raise _Broken
    return split_ws_id(value.text)[1]


def _record_number(value: Value) -> Any:
    # Owner and reference values without "x" produce broken SQL.
    text = _id_value(value)
    return text if text.isdigit() else mysql_number(text)


def _number(value: Value) -> float | int:
    number = mysql_number(value.text)
    return 0 if number is None else number


def _integer(value: Value) -> int | None:
    return int(value.text) if value.kind is ValueKind.INTEGER else None
