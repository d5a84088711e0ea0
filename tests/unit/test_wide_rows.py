"""crm/wide_rows.py: a packed wide SELECT gives exactly the rows the plain one gives."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from vtiger_mock.crm.database import Database
from vtiger_mock.crm.wide_rows import MIN_PACKED, pack

TEXTS = 12


def _table(metadata: sa.MetaData, texts: int = TEXTS) -> sa.Table:
    return sa.Table(
        "wide",
        metadata,
        sa.Column("crmid", sa.Integer, primary_key=True),
        *(sa.Column(f"t{i}", sa.Text(collation="NOCASE")) for i in range(texts)),
        sa.Column("amount", sa.Float),
        sa.Column("count", sa.Integer),
    )


@pytest.fixture
def db() -> Database:
    return Database("sqlite://", [])


def _prepared(db: Database, table: sa.Table) -> Any:
    with db.engine.begin() as conn:
        table.create(conn)
    return db.prepared(
        f"test.wide.{len(table.c)}", lambda: sa.select(table).where(table.c.crmid == sa.bindparam("id"))
    )


def _insert(db: Database, table: sa.Table, row: dict[str, Any]) -> None:
    with db.transaction("write") as conn:
        db.insert_row(conn, table, row)


# Text as SQLite's TEXT affinity keeps it: anything but lone surrogates, NUL included; numbers given
# to a text column come back as text.
text_values = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
number_values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),  # lax validation can leave text in a number column
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(text_values, min_size=TEXTS, max_size=TEXTS), amount=number_values, count=number_values)
def test_packed_rows_equal_plain_rows(texts: list[Any], amount: Any, count: Any) -> None:
    db = Database("sqlite://", [])
    table = _table(sa.MetaData())
    statement = _prepared(db, table)
    assert statement.unpack is not None and "json_array" in statement.sql
    _insert(
        db, table, {"crmid": 1, **{f"t{i}": v for i, v in enumerate(texts)}, "amount": amount, "count": count}
    )
    with db.transaction() as conn:
        raw = conn.connection.dbapi_connection
        plain = raw.execute(statement.plain_sql, [1]).fetchone()
        packed = statement.first(conn, id=1)
        rows = statement.rows(conn, id=1)
    assert packed == plain
    assert rows == [plain]
    # Same values and the same types (a float never comes back as an int, nor text as a number).
    assert [type(v) for v in packed] == [type(v) for v in plain]


def test_a_blob_in_a_text_column_falls_back_to_the_plain_statement(db: Database) -> None:
    table = _table(sa.MetaData())
    statement = _prepared(db, table)
    with db.transaction("write") as conn:
        conn.connection.dbapi_connection.execute("INSERT INTO wide (crmid, t3) VALUES (1, ?)", [b"\x00\xff"])
    with db.transaction() as conn:
        assert statement.first(conn, id=1)[4] == b"\x00\xff"
        assert statement.rows(conn, id=1)[0][4] == b"\x00\xff"
        assert statement.first(conn, id=2) is None


def test_narrow_selects_are_not_packed(db: Database) -> None:
    table = _table(sa.MetaData(), texts=MIN_PACKED - 1)
    statement = _prepared(db, table)
    assert statement.unpack is None and "json_array" not in statement.sql
    assert pack(sa.select(table.c.t0)) is None
    assert pack(table.insert()) is None


def test_more_text_columns_than_a_function_takes_are_split(db: Database) -> None:
    table = _table(sa.MetaData(), texts=140)  # SQLite's default limit is 127 arguments
    statement = _prepared(db, table)
    assert statement.sql.count("json_array(") == 2
    row = {"crmid": 7, **{f"t{i}": f"v{i}" for i in range(140)}, "amount": 1.5, "count": 3}
    _insert(db, table, row)
    with db.transaction() as conn:
        assert statement.first(conn, id=7) == tuple(row[c.name] for c in table.c)


def test_without_json_functions_nothing_is_packed(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vtiger_mock.crm.database.json_available", lambda raw: False)
    statement = _prepared(db, _table(sa.MetaData()))
    assert statement.unpack is None and statement.sql == statement.plain_sql


def test_json_available_on_this_sqlite() -> None:
    from vtiger_mock.crm.wide_rows import json_available

    assert json_available(sqlite3.connect(":memory:"))
