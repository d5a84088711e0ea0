"""Statements that differ only in their quoted values parse alike: parse once per shape.

Clients send the same statement with different values (``... WHERE accountname = 'Acme';``), and the
parser (an exact emulation of Vtiger's lemon parser, quirks included) costs more than everything
else a query does.  The shape of a statement is its token sequence with every quoted VALUE token
left out; the tree of a shape is parsed once, from the statement with each quoted value replaced by
a numbered placeholder, and reused with the real values put back.

Why that is exact: the lexer names tokens by position, not by the text of a quoted value; the
parser's moves (and its quirks) depend only on token names; its actions only store a quoted value
(which is never PHP-empty, since it keeps its quotes).  The one check that reads values (a reference
field's value must look like a webservice id) runs again on the real values, and any failure, any
error and any shape whose placeholders end up somewhere other than a value goes to the full parse,
which gives Vtiger's exact error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql.ast import Condition, Limit, Query, Value, Where
from vtiger_mock.vtql.lexer import Lexer, TokenType

_MARK = "\x01"
# Shapes kept; a client sending ever-new statement shapes only makes the server parse them.
_MAX_SHAPES = 1024


def _placeholder(index: int) -> str:
    # Contains an "x": passes the reference-value check in the template parse (redone on real values).
    return f"'{_MARK}x{index}{_MARK}'"


@dataclass(frozen=True)
class Shape:
    key: tuple[Any, ...]
    template: str  # the statement with each quoted value replaced by its placeholder
    values: tuple[str, ...]  # the quoted value lexemes replaced, in order


def shape_of(text: str) -> Shape | None:
    """The shape of `text`, or None when its lexing fails (the full parse reports that)."""
    lexer = Lexer(text)
    key: list[Any] = []
    parts: list[str] = []
    values: list[str] = []
    position = 0
    try:
        while (token := lexer.next_token()) is not None:
            if token.type is TokenType.VALUE and token.text.startswith("'"):
                parts += [text[position : token.start], _placeholder(len(values))]
                position = token.start + len(token.text)
                values.append(token.text)
                key.append(TokenType.VALUE)
            else:
                key.append((token.type, token.text))
    except WebServiceError:
        return None
    if not values:
        return None  # nothing to share
    parts.append(text[position:])
    return Shape(tuple(key), "".join(parts), tuple(values))


class _Template:
    """A parsed shape: its tree, with placeholders where the values go."""

    def __init__(self, tree: Query, count: int) -> None:
        self.tree = tree
        self.placeholders = {_placeholder(i): i for i in range(count)}

    def reusable(self) -> bool:
        tree = self.tree
        names = [tree.module, *(tree.columns if isinstance(tree.columns, tuple) else ())]
        if tree.where is not None:
            names += [c.field for c in tree.where.conditions]
        if tree.order_by is not None:
            names += list(tree.order_by.fields)
        return not any(_MARK in name for name in names)

    def fill(self, values: tuple[str, ...]) -> Query:
        tree = self.tree

        def value(v: Value) -> Value:
            index = self.placeholders.get(v.raw)
            return v if index is None else Value.from_lexeme(values[index])

        where = tree.where
        if where is not None:
            conditions = tuple(replace(c, values=tuple(map(value, c.values))) for c in where.conditions)
            where = Where(conditions, where.connectors)
        limit = tree.limit
        if limit is not None:
            limit = Limit(value(limit.offset) if limit.offset is not None else None, value(limit.count))
        return replace(tree, where=where, limit=limit)


class ShapeCache:
    def __init__(self) -> None:
        # None: the shape's placeholders do not all end up as values; such statements parse in full.
        self._templates: dict[tuple[Any, ...], _Template | None] = {}
        self._lock = threading.Lock()

    def parse(
        self,
        text: str,
        full_parse: Callable[[str], Query],
        check_where: Callable[[Condition], None],
    ) -> Query:
        """`full_parse(text)`, from this shape's template when there is one.  `full_parse` runs
        the parser with the caller's checks; `check_where` is the value-reading condition check."""
        shape = shape_of(text)
        if shape is None:
            return full_parse(text)
        with self._lock:
            known = shape.key in self._templates
            template = self._templates.get(shape.key)
        if not known:
            try:
                parsed = _Template(full_parse(shape.template), len(shape.values))
            except WebServiceError:
                return full_parse(text)  # the real statement's own error (or none)
            template = parsed if parsed.reusable() else None
            with self._lock:
                if len(self._templates) >= _MAX_SHAPES:
                    self._templates.clear()
                self._templates[shape.key] = template
        if template is None:
            return full_parse(text)
        tree = template.fill(shape.values)
        try:
            for condition in tree.where.conditions if tree.where is not None else ():
                check_where(condition)
        except WebServiceError:
            return full_parse(text)  # raised at the moment, and in the way, Vtiger raises it
        return tree
