"""crm/database.py: the kept connection, driver-level transactions and id-list statements."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import WsClient, ok
from vtiger_mock.crm.database import ID_LIST_SIZES, UNSURE, _as_stored
from vtiger_mock.crm.state import CRM


def _ids_in_crmentity(crm: CRM, ids: list[int]) -> list[int]:
    ent = crm.db.crmentity
    with crm.db.transaction() as conn:
        rows = crm.db.rows_for_ids(
            conn, "test.ids", lambda id_list: sa.select(ent.c.crmid).where(ent.c.crmid.in_(id_list)), ids
        )
    return sorted(int(r[0]) for r in rows)


@pytest.mark.parametrize("count", [0, 1, ID_LIST_SIZES[0], ID_LIST_SIZES[0] + 1, ID_LIST_SIZES[-1] + 3, 700])
def test_rows_for_ids_finds_exactly_the_ids_asked_for_any_count(crm: CRM, count: int) -> None:
    with crm.db.transaction("write") as conn:
        crm.load_records(
            conn, {"Accounts": [{"id": f"11x{1000 + i}", "accountname": f"A{i}"} for i in range(800)]}
        )
    # Every other id exists; duplicates and missing ids are harmless.
    asked = [1000 + 2 * i for i in range(count)] + [999_999] + [1000] * min(count, 2)
    expected = sorted({i for i in asked if 1000 <= i < 1800})
    assert _ids_in_crmentity(crm, asked) == expected


def test_a_failed_request_rolls_back_everything_it_wrote(crm: CRM) -> None:
    before = crm.record_counts().get("Accounts", 0)
    with pytest.raises(RuntimeError), crm.db.transaction("write") as conn:
        crm.load_records(conn, {"Accounts": [{"id": "11x5000", "accountname": "Gone"}]})
        raise RuntimeError("the handler failed")
    assert crm.record_counts().get("Accounts", 0) == before
    # The connection is usable afterwards, for reads and writes.
    with crm.db.transaction("write") as conn:
        crm.load_records(conn, {"Accounts": [{"id": "11x5001", "accountname": "Kept"}]})
    assert crm.record_counts()["Accounts"] == before + 1


def test_transactions_do_not_nest(crm: CRM) -> None:
    with crm.db.transaction(), pytest.raises(RuntimeError, match="already open"), crm.db.transaction():
        pass
    with crm.db.transaction():  # the outer one ended cleanly
        pass


def test_each_thread_keeps_its_own_connection(crm: CRM) -> None:
    mine = crm.db.connection()
    assert crm.db.connection() is mine
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(crm.db.connection()))
    worker.start()
    worker.join()
    assert seen and seen[0] is not mine and not mine.closed


def test_statements_over_many_ids_survive_a_snapshot_restore(crm: CRM) -> None:
    """A statement prepared before sqlite3_deserialize must still run after it (SQLite 3.40 crashes
    the process when that statement reads a virtual table such as json_each)."""
    from vtiger_mock.crm.snapshots import Images

    images = Images(crm.db)
    image = images.capture(0.0)
    ids = list(range(1, 40))
    before = _ids_in_crmentity(crm, ids)
    images.restore(image)
    assert _ids_in_crmentity(crm, ids) == before


def test_live_row_flags_are_written_into_the_sql_not_bound(ws: WsClient, crm: CRM) -> None:
    """SQLite prepares a statement again on every run when a bound value meets a partial index's
    condition; the live-row flags are constants of the SQL for that reason (Database.LIVE)."""
    ws.login()
    created = ws.create("Accounts", {"accountname": "Iota", "assigned_user_id": "19x1"})
    ok(ws.sget(operation="retrieve", id=created["id"]))
    for _ in range(2):  # the second run takes the compiled statement
        ok(ws.sget(operation="query", query="SELECT * FROM Accounts WHERE accountname = 'Iota';"))
        crm.modules.memo.pop("answers", None)
    statements = [p.sql for p in crm.db._prepared.values()]
    statements += [q.prepared.sql for q in crm.modules.memo["vtql"].values() if q.prepared is not None]
    flagged = [sql for sql in statements if re.search(r"\b(_deleted|_converted) = \?", sql)]
    assert len(statements) > 10 and flagged == []


def test_update_row_writes_the_changed_columns_and_returns_them_as_stored(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("vtiger_mock.crm.database.MAX_COLUMN_SETS", 2)
    monkeypatch.setattr(crm.db, "_column_sets", {})  # the shared CRM has seen other tests' updates
    accounts = crm.modules["Accounts"]
    table = crm.db.table_for(accounts)
    with crm.db.transaction("write") as conn:
        crm.load_records(conn, {"Accounts": [{"id": "11x4000", "accountname": "Kappa", "phone": "1"}]})
    written: list[str] = []
    with crm.db.transaction("write") as conn:
        raw = conn.connection.dbapi_connection
        raw.set_trace_callback(lambda sql: written.append(sql) if sql.startswith("UPDATE") else None)
        row = crm.records.fetch_row(conn, accounts, 4000)
        assert row is not None
        # Affinity: a number given to a text column is stored as text, text to an integer column as a number.
        stored = crm.db.update_row(
            conn, table, 4000, {**row, "phone": 5, "employees": "12"}, ["phone", "employees"]
        )
        assert stored == {"phone": "5", "employees": 12}
        assert crm.db.update_row(conn, table, 4000, {**row, "fax": "2"}, ["fax"]) == {"fax": "2"}
        # A third set of columns, past the limit of two: every column is written.
        third = crm.db.update_row(conn, table, 4000, {**row, "website": "w"}, ["website"])
        raw.set_trace_callback(None)
        assert third["website"] == "w" and third["accountname"] == "Kappa" and len(third) == len(table.c) - 1
        assert crm.db.update_row(conn, table, 4000, row, []) == {}
    assert "SET phone=" in written[0] and "accountname" not in written[0]
    assert "accountname=" in written[2]
    with crm.db.transaction() as conn:
        final = crm.records.fetch_row(conn, accounts, 4000)
    assert final is not None and final["website"] == "w" and final["phone"] == "1"  # the third wrote `row`


def test_update_row_reads_nothing_back_when_affinity_tells_every_value(crm: CRM) -> None:
    accounts = crm.modules["Accounts"]
    table = crm.db.table_for(accounts)
    with crm.db.transaction("write") as conn:
        crm.load_records(conn, {"Accounts": [{"id": "11x4100", "accountname": "Lambda"}]})
    selects: list[str] = []
    with crm.db.transaction("write") as conn:
        row = crm.records.fetch_row(conn, accounts, 4100)
        assert row is not None
        raw = conn.connection.dbapi_connection
        raw.set_trace_callback(lambda sql: selects.append(sql) if sql.startswith("SELECT") else None)
        stored = crm.db.update_row(
            conn,
            table,
            4100,
            {**row, "phone": "5", "employees": 12, "fax": None},
            ["phone", "employees", "fax"],
        )
        raw.set_trace_callback(None)
        reread = crm.records.fetch_row(conn, accounts, 4100)
    assert selects == []
    assert reread is not None
    assert stored == {"phone": "5", "employees": 12, "fax": None}
    assert {k: (v, type(v)) for k, v in stored.items()} == {k: (reread[k], type(reread[k])) for k in stored}


def test_insert_row_gives_the_row_as_stored_or_none_when_a_value_may_change(crm: CRM) -> None:
    accounts = crm.modules["Accounts"]
    table = crm.db.table_for(accounts)
    with crm.db.transaction("write") as conn:
        given = crm.db.insert_row(conn, table, {"crmid": 4200, "accountname": "Mu", "employees": 3})
        read = crm.records.fetch_row(conn, accounts, 4200)
        # A number for a text column is stored as text: the caller must read the row.
        assert crm.db.insert_row(conn, table, {"crmid": 4201, "accountname": 7}) is None
        assert crm.records.fetch_row(conn, accounts, 4201)["accountname"] == "7"  # type: ignore[index]
        conn.connection.dbapi_connection.rollback()
    assert given is not None and read is not None
    assert {k: (v, type(v)) for k, v in given.items()} == {k: (v, type(v)) for k, v in read.items()}


_column_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-(2**54), max_value=2**54),
    st.floats(),
    st.text(),
    st.sampled_from(["12", " 12", "12.0", "1e3", "0x10", "-0", "3.5", "", -0.0, 0.0, float("nan"), 2.0**70]),
    st.binary(max_size=4),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=_column_values, column=st.sampled_from(["accountname", "employees", "annual_revenue"]))
def test_what_as_stored_tells_is_what_sqlite_gives_back(crm: CRM, value: object, column: str) -> None:
    """The rule that lets writes skip reading back (column affinity, database._as_stored):
    whenever it tells what a value becomes, SQLite gives back exactly that."""
    table = crm.db.table_for(crm.modules["Accounts"])
    kept = crm.db._kept_types(table)[column]
    with crm.db.transaction("write") as conn:
        raw = conn.connection.dbapi_connection
        raw.execute(
            f"INSERT INTO {table.name} (crmid, _deleted, _converted, {column}) VALUES (-1, 0, 0, ?)", [value]
        )
        back = raw.execute(f"SELECT {column} FROM {table.name} WHERE crmid = -1").fetchone()[0]
        raw.rollback()
    stored = _as_stored(value, kept)
    if stored is not UNSURE:
        assert type(back) is type(stored) and repr(back) == repr(stored)  # repr: -0.0 is not 0.0
