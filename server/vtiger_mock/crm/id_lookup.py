"""Which of a batch of ids exist, and where: what printing references and owners asks.

A retrieve asks up to four small questions (the module of a referenced record, whether an owner id
is a group or a user, whether a referenced user is live); SQLite answers them in one UNION ALL
statement, prepared per shape, for little more than the cost of one of them asked alone.

A few ids are asked one `crmid = ?` arm each: SQLite builds a temporary index for any `IN` list of
two or more values, which costs more than eight such arms.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.database import DELETED, ID_LIST_SIZES, Database, pad_ids

# Parts of up to this many ids are asked one arm per id; more take a list.  Either is padded up to
# the next size (database.pad_ids), so that few statements are ever prepared.
ARM_SIZES = (1, 2, 4, 8)
_SIZES = (*ARM_SIZES, *(size for size in ID_LIST_SIZES if size > ARM_SIZES[-1]))
_LARGEST = ID_LIST_SIZES[-1]
# The padded size of a part of n ids, for n up to the largest list.
_PADDED = tuple(next(size for size in _SIZES if size >= n) for n in range(ID_LIST_SIZES[-1] + 1))


class Found(NamedTuple):
    setypes: dict[int, str]  # live CRM records: id → module name
    # module table → {id: its deleted flag}, for the ids asked that the table holds (live or not)
    rows: dict[str, dict[int, int]]

    def live_in(self, table: str, record_id: int) -> bool:
        return self.rows[table].get(record_id) == 0

    def held_by(self, table: str, record_id: int) -> bool:
        return record_id in self.rows[table]


def look_up(db: Database, conn: Connection, entities: set[int], tables: dict[str, set[int]]) -> Found:
    """The modules of the live CRM records among `entities`, and the rows each module table of
    `tables` holds among its ids."""
    parts = [("", entities)] if entities else []  # "": crmentity
    for table, ids in tables.items():
        if ids:
            parts.append((table, ids))
    found = Found({}, {table: {} for table in tables})
    if not parts:
        return found
    # Every request prints some references: plain loops here, no generator frames.
    shape: list[tuple[str, int]] = []
    values: list[int] = []
    for table, ids in parts:
        count = len(ids)
        if count > _LARGEST:
            return _look_up_in_chunks(db, conn, parts, found)
        size = _PADDED[count]
        shape.append((table, size))
        values += pad_ids(list(ids), size)
    key = ("lookup", *shape)
    statement = db.prepared(key, lambda: _union(db, tuple(shape)))
    # Binds are numbered in the order they appear, which is the order of `values`.
    _collect(found, parts, statement._run_values(conn, values).fetchall())
    return found


def _look_up_in_chunks(
    db: Database, conn: Connection, parts: list[tuple[str, set[int]]], found: Found
) -> Found:
    """A big batch (a long query or sync page): each part in chunks of its own."""
    for n, (table, ids) in enumerate(parts):
        key = f"lookup.{n}.{table or 'crmentity'}"  # the part number is written into the SQL
        rows = db.rows_for_ids(conn, key, partial(_part, db, table, n), ids)
        _collect(found, parts, rows)
    return found


def _part(db: Database, table: str, n: int, binds: list[sa.BindParameter[Any]]) -> sa.Select[Any]:
    """Rows (part number, id, setype or deleted flag) for one part of a look-up, ids in a list."""
    return _select(db, table, n, lambda crmid: crmid.in_(binds))


def _select(db: Database, table: str, n: int, match: Any) -> sa.Select[Any]:
    tag: sa.ColumnClause[Any] = sa.literal_column(str(n))
    if not table:
        ent = db.crmentity
        return sa.select(tag, ent.c.crmid, ent.c.setype).where(match(ent.c.crmid), ent.c.deleted == 0)
    t = db.module_tables[table]
    return sa.select(tag, t.c.crmid, t.c[DELETED]).where(match(t.c.crmid))


def _union(db: Database, shape: tuple[tuple[str, int], ...]) -> Any:
    selects: list[sa.Select[Any]] = []
    for n, (table, size) in enumerate(shape):
        binds: list[sa.BindParameter[Any]] = [sa.bindparam(f"p{n}_{i:03d}") for i in range(size)]
        if size in ARM_SIZES:
            selects += [_select(db, table, n, lambda crmid, b=b: crmid == b) for b in binds]
        else:
            selects.append(_part(db, table, n, binds))
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


def _collect(found: Found, parts: list[tuple[str, set[int]]], rows: list[tuple[Any, ...]]) -> None:
    for n, record_id, value in rows:
        table = parts[n][0]
        if table:
            found.rows[table][record_id] = value
        else:
            found.setypes[record_id] = value
