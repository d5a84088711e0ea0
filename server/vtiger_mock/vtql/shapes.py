"""Statements that differ only in their quoted values parse alike: parse (and compile) once per shape.

Clients send the same statement with different values (``... WHERE accountname = 'Acme';``), and the
parser (an exact emulation of Vtiger's lemon parser, quirks included) and the compiler cost many
times what the rest of a query does.  The shape of a statement is its token sequence with every
quoted VALUE token left out; the tree of a shape is parsed once, from the statement with each quoted
value replaced by a numbered placeholder, and serves every statement of that shape: the compiler
binds a placeholder's real value when the query runs (vtql/compiler.py).

Finding a statement's shape means lexing it, which costs several times the rest of a cached
query.  Statements whose quoted pieces are all values and which differ only in those pieces' text
have the same *outline* (the text with each quoted piece replaced by a mark, found by one regular
expression): an outline seen before leads straight to its shape's template.  That is exact because
no other piece contains a quote, so the lexer reads the same pieces in both statements, and it
names a quoted piece by where it is, never by its text.  Only the length of a quoted piece matters
to the lexer (PHP's regex stack, see lexer.py), far beyond the outlines' length limit.

Why a template is exact: the lexer names tokens by position, not by the text of a quoted value; the
parser's moves (and its quirks) depend only on token names; its actions only store a quoted value
(which is never PHP-empty, since it keeps its quotes).  The one check that reads values (a reference
field's value must look like a webservice id) runs again on the real values, and any failure, any
error and any shape whose placeholders end up somewhere other than a value goes to the full parse,
which gives Vtiger's exact error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql.ast import Condition, Query, Value
from vtiger_mock.vtql.lexer import QUOTED_PIECE, Lexer, TokenType

_MARK = "\x01"
# Shapes kept; a client sending ever-new statement shapes only makes the server parse them.
_MAX_SHAPES = 1024
# What stands for a quoted piece in an outline: a character the lexer cannot read, so it is never
# part of a statement that has a template.
_OUTLINE_MARK = "\x00"
# Outlines are made of statements up to this long: a quoted piece of 2,000 characters is at most
# 8,000 UTF-8 bytes, below the lexer's regex stack limit, so its length cannot matter.
_MAX_OUTLINED = 2000


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


class _Outline(NamedTuple):
    text: str  # the statement with each quoted piece replaced by _OUTLINE_MARK
    quoted: tuple[str, ...]  # the quoted pieces, in order


def _outline(text: str) -> _Outline | None:
    """The outline of `text`; None when it cannot stand for the statement (too long, or holding
    the mark itself)."""
    if len(text) > _MAX_OUTLINED or _OUTLINE_MARK in text:
        return None
    return _Outline(QUOTED_PIECE.sub(_OUTLINE_MARK, text), tuple(QUOTED_PIECE.findall(text)))


@dataclass(frozen=True)
class Parsed:
    """A statement's tree: its shape's template tree, whose placeholders stand for `values`, or a
    tree of its own (no placeholders, no values)."""

    tree: Query
    values: tuple[Value, ...] = ()
    placeholders: Mapping[str, int] = field(default_factory=dict)  # placeholder raw text → index
    # What callers derive from `tree` (its compiled forms), kept as long as the shape is.
    kept: dict[Any, Any] = field(default_factory=dict)


class _Template:
    """A parsed shape: its tree, with placeholders where the values go."""

    def __init__(self, tree: Query, count: int) -> None:
        self.tree = tree
        self.placeholders = {_placeholder(i): i for i in range(count)}
        self.kept: dict[Any, Any] = {}

    def reusable(self) -> bool:
        tree = self.tree
        names = [tree.module, *(tree.columns if isinstance(tree.columns, tuple) else ())]
        if tree.where is not None:
            names += [c.field for c in tree.where.conditions]
        if tree.order_by is not None:
            names += list(tree.order_by.fields)
        return not any(_MARK in name for name in names)

    def conditions(self, values: tuple[Value, ...]) -> tuple[Condition, ...]:
        """The conditions of the statement whose quoted values are `values`."""
        where = self.tree.where
        if where is None:
            return ()

        def value(v: Value) -> Value:
            index = self.placeholders.get(v.raw)
            return v if index is None else values[index]

        return tuple(replace(c, values=tuple(map(value, c.values))) for c in where.conditions)


class ShapeCache:
    def __init__(self) -> None:
        # None: the shape's placeholders do not all end up as values; such statements parse in full.
        self._templates: dict[tuple[Any, ...], _Template | None] = {}
        # Outlines of statements seen whose quoted pieces are all values → their shape's template.
        self._by_outline: dict[str, _Template] = {}
        self._lock = threading.Lock()

    def parse(
        self,
        text: str,
        full_parse: Callable[[str], Query],
        check_where: Callable[[Condition], None],
    ) -> Parsed:
        """`full_parse(text)`, from this shape's template when there is one.  `full_parse` runs
        the parser with the caller's checks; `check_where` is the value-reading condition check."""
        outline = _outline(text)
        if outline is not None and (template := self._by_outline.get(outline.text)) is not None:
            lexemes = outline.quoted
        else:
            shape = shape_of(text)
            if shape is None:
                return Parsed(full_parse(text))
            template = self._template(shape, full_parse)
            if template is None:
                return Parsed(full_parse(text))
            if outline is not None and len(outline.quoted) == len(shape.values):
                with self._lock:  # every quoted piece is a value: the outline tells the shape
                    if len(self._by_outline) >= _MAX_SHAPES:
                        self._by_outline.clear()
                    self._by_outline[outline.text] = template
            lexemes = shape.values
        values = tuple(map(Value.from_lexeme, lexemes))
        try:
            for condition in template.conditions(values):
                check_where(condition)
        except WebServiceError:
            return Parsed(full_parse(text))  # raised at the moment, and in the way, Vtiger raises it
        return Parsed(template.tree, values, template.placeholders, template.kept)

    def _template(self, shape: Shape, full_parse: Callable[[str], Query]) -> _Template | None:
        """The shape's template, parsed on first sight; None when statements of that shape must
        be parsed in full."""
        with self._lock:
            known = shape.key in self._templates
            template = self._templates.get(shape.key)
        if known:
            return template
        try:
            parsed = _Template(full_parse(shape.template), len(shape.values))
        except WebServiceError:
            return None  # the real statement's own error (or none), from its full parse
        template = parsed if parsed.reusable() else None
        with self._lock:
            if len(self._templates) >= _MAX_SHAPES:
                self._templates.clear()
                self._by_outline.clear()
            self._templates[shape.key] = template
        return template
