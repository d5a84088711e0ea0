"""The typed syntax tree of one VTQL statement, as the parser hands it to the compiler.

Names (fields, module) are the lexemes exactly as typed: Vtiger matches them case-sensitively against
module metadata and never unquotes them, so ``select 'a' from …`` asks for a field called ``'a'``.
Values keep both their unquoted text and the raw lexeme, because Vtiger pastes raw lexemes into SQL
and strips quotes itself only for id, reference and owner fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ValueKind(Enum):
    STRING = "string"  # 'quoted' (the only way to write text with spaces or punctuation)
    INTEGER = "integer"  # [+-]digits, unquoted
    WORD = "word"  # any other unquoted lexeme: identifiers, 11x5, *, and in LIMIT even = or <
    # Vtiger lost the value (a PHP null): after an unclosed "(" such as `a = ('x';` its parser
    # recovers into an accepted statement without the value, which reaches the SQL as nothing.
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Value:
    kind: ValueKind
    text: str  # STRING: without the outer quotes and with '' turned into '; otherwise the lexeme
    raw: str  # the lexeme as typed

    @classmethod
    def from_lexeme(cls, lexeme: str | None) -> Value:
        if lexeme is None:
            return cls(ValueKind.MISSING, "", "")
        if len(lexeme) >= 2 and lexeme[0] == lexeme[-1] == "'":
            return cls(ValueKind.STRING, lexeme[1:-1].replace("''", "'"), lexeme)
        digits = lexeme[1:] if lexeme[:1] in ("+", "-") else lexeme
        if digits.isascii() and digits.isdigit():
            return cls(ValueKind.INTEGER, lexeme, lexeme)
        return cls(ValueKind.WORD, lexeme, lexeme)


class Operator(Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    GT = ">"
    LTE = "<="
    GTE = ">="
    IN = "IN"
    LIKE = "LIKE"


class Connector(Enum):
    AND = "AND"
    OR = "OR"


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: Operator
    # One value, or several for IN (Vtiger keeps a one-value IN as a single value, and so does this).
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Where:
    """Conditions in input order; ``connectors[i]`` joins ``conditions[i]`` and ``conditions[i + 1]``.

    No grouping is recorded because VTQL has none: Vtiger pastes the list into one SQL parenthesis,
    so AND binds tighter than OR (spec §7.4).
    """

    conditions: tuple[Condition, ...]
    connectors: tuple[Connector, ...]


class Direction(Enum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True, slots=True)
class OrderBy:
    fields: tuple[str, ...]
    direction: Direction | None  # written once after the last field; SQL applies it to that field only


@dataclass(frozen=True, slots=True)
class Limit:
    """``LIMIT count`` or ``LIMIT offset, count``; the values are not checked (Vtiger pastes them)."""

    offset: Value | None
    count: Value


@dataclass(frozen=True, slots=True)
class Star:
    """``select *``."""


@dataclass(frozen=True, slots=True)
class CountStar:
    """``select count(*)``."""


# An explicit column list is the fields Vtiger selects, in its order: as written, then "id" when it
# was not written (Vtiger appends it).
Columns = Star | CountStar | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Query:
    columns: Columns
    module: str  # the lexeme after FROM, as typed
    where: Where | None
    order_by: OrderBy | None
    limit: Limit | None
