"""Counters: the one record-id sequence shared by all CRM modules, per-module record numbers, and
named counters for ids that have their own sequence (line items).

Both live in the database and are advanced inside the writing transaction, so concurrent creates
(even from several server processes) never get the same id or number, and ids are never reused.
"""

from __future__ import annotations

from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.database import Database, Prepared
from vtiger_mock.crm.schema import ModuleMeta

CRMID = "crmid"


def _increment(counter: str) -> str:
    """Add one, keeping leading zeros as Vtiger's vtiger_modentity_num does ("007" → "008")."""
    return str(int(counter) + 1).zfill(len(counter))


class Sequences:
    def __init__(self, db: Database) -> None:
        self.db = db

    def init(self, conn: Connection, modules: list[ModuleMeta], first_crmid: int) -> None:
        rows = [{"name": CRMID, "value": str(first_crmid - 1)}]
        rows += [
            {"name": f"num:{m.name}", "value": m.numbering.start} for m in modules if m.numbering is not None
        ]
        conn.execute(self.db.sequences.insert(), rows)

    @cached_property
    def _read(self) -> Prepared:
        seq = self.db.sequences
        return self.db.prepared(
            "sequences.get", lambda: sa.select(seq.c.value).where(seq.c.name == sa.bindparam("name"))
        )

    @cached_property
    def _write(self) -> Prepared:
        seq = self.db.sequences
        statement = self.db.prepared(
            "sequences.set",
            lambda: (
                seq.update().where(seq.c.name == sa.bindparam("name")).values(value=sa.bindparam("value"))
            ),
        )
        if statement.names != ("value", "name"):  # the order _set binds them in
            raise RuntimeError(f"sequences.set binds {statement.names}")
        return statement

    # Every create moves two counters: their statements are kept and bound by position.
    def _get(self, conn: Connection, name: str) -> str | None:
        found = self._read.first_of(conn, (name,))
        return str(found[0]) if found is not None else None

    def _set(self, conn: Connection, name: str, value: str) -> None:
        if self._write.execute_values(conn, (value, name)) == 0:
            conn.execute(self.db.sequences.insert().values(name=name, value=value))

    def next_id(self, conn: Connection) -> int:
        value = int(self._get(conn, CRMID) or "0") + 1
        self._set(conn, CRMID, str(value))
        return value

    def next_counter(self, conn: Connection, name: str, floor: int = 0) -> int:
        """The next value of a named counter, like an AUTO_INCREMENT column: values are never
        reused, and never below `floor` + 1 (rows loaded with their own ids are not overtaken)."""
        key = f"counter:{name}"
        value = max(int(self._get(conn, key) or "0"), floor) + 1
        self._set(conn, key, str(value))
        return value

    def next_record_number(self, conn: Connection, module: ModuleMeta) -> str:
        """prefix + current counter; the counter then moves on by one."""
        assert module.numbering is not None
        name = f"num:{module.name}"
        current = self._get(conn, name) or module.numbering.start
        self._set(conn, name, _increment(current))
        return f"{module.numbering.prefix}{current}"
