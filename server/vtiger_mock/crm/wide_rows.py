"""Wide SELECTs with their text columns packed into one JSON array by SQLite.

Python 3.11's sqlite3 releases and retakes the GIL around every column of every row it hands over
(3.12 stopped doing so): a record's 43 columns cost ~28 µs to fetch, most of it that, where SQLite
and the values themselves take a third.  A packed SELECT returns the text columns as one
`json_array(...)` value, which orjson unpacks in C, and the other columns as they are; `unpack`
puts a packed row back into the statement's own column order, so callers see the same tuples.

Only columns of TEXT affinity are packed: they hold nothing but text or NULL (SQLite stores a number
given to one as text), which JSON carries exactly.  Numbers stay plain columns, because json_array
prints a REAL with 15 significant digits.  A BLOB in a text column (never written by this code)
makes json_array fail; `Packed` callers then run the plain statement.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

# Fewer text columns than this are not worth packing (one JSON value costs about three columns).
MIN_PACKED = 8
# SQLite's default SQLITE_MAX_FUNCTION_ARG is 127: longer lists are split over several arrays.
_MAX_ARGS = 100

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Packing:
    """How a statement's rows were packed: `arrays` JSON arrays first, then the plain columns;
    `unpack` restores the statement's column order."""

    statement: sa.Select[Any]
    arrays: int
    order: Callable[[Row], Row]

    def unpack(self, row: Row) -> Row:
        if self.arrays == 1:
            return self.order((*orjson.loads(row[0]), *row[1:]))
        values: list[Any] = []
        for chunk in row[: self.arrays]:
            values.extend(orjson.loads(chunk))
        return self.order((*values, *row[self.arrays :]))


def _is_text_column(column: Any) -> bool:
    return isinstance(column, sa.Column) and isinstance(column.type, sa.Text)


def pack(statement: Any) -> Packing | None:
    """The packed form of a SELECT with at least MIN_PACKED text columns; None for anything else."""
    if not isinstance(statement, sa.Select):
        return None
    columns = list(statement.selected_columns)
    texts = [i for i, c in enumerate(columns) if _is_text_column(c)]
    if len(texts) < MIN_PACKED:
        return None
    packed_set = set(texts)
    others = [i for i in range(len(columns)) if i not in packed_set]
    arrays = [
        sa.func.json_array(*(columns[i] for i in texts[start : start + _MAX_ARGS]))
        for start in range(0, len(texts), _MAX_ARGS)
    ]
    packed = statement.with_only_columns(
        *(array.label(f"packed_{n}") for n, array in enumerate(arrays)),
        *(columns[i] for i in others),
        maintain_column_froms=True,
    )
    # Position of each original column in (unpacked texts..., others...).
    where = {original: n for n, original in enumerate([*texts, *others])}
    return Packing(packed, len(arrays), operator.itemgetter(*(where[i] for i in range(len(columns)))))


def json_available(raw: Any) -> bool:
    """Whether this SQLite has the JSON functions (built in since 3.38; optional before)."""
    try:
        raw.execute("SELECT json_array(1)").fetchone()
    except Exception:
        return False
    return True
