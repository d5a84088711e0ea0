"""crm/id_lookup.py: one statement answers where a batch of ids lives, for any batch size."""

from __future__ import annotations

import pytest

from vtiger_mock.crm.database import DELETED
from vtiger_mock.crm.id_lookup import look_up
from vtiger_mock.crm.state import CRM


def _seed(crm: CRM) -> None:
    """Accounts 1000..1599 and Contacts 2000..2299 (every third account deleted), users 5..14
    (every other one deleted)."""
    with crm.db.transaction("write") as conn:
        crm.load_records(
            conn,
            {
                "Accounts": [{"id": f"11x{1000 + i}", "accountname": f"A{i}"} for i in range(600)],
                "Contacts": [{"id": f"12x{2000 + i}", "lastname": f"C{i}"} for i in range(300)],
                "Users": [
                    {"id": f"19x{5 + i}", "user_name": f"user{i}", "last_name": f"U{i}"} for i in range(10)
                ],
            },
        )
        raw = conn.connection.dbapi_connection
        raw.execute("UPDATE crmentity SET deleted = 1 WHERE crmid BETWEEN 1000 AND 1599 AND crmid % 3 = 0")
        raw.execute(f"UPDATE account SET {DELETED} = 1 WHERE crmid % 3 = 0")
        raw.execute(f"UPDATE users SET {DELETED} = 1 WHERE crmid BETWEEN 5 AND 14 AND crmid % 2 = 0")


def _naive(
    crm: CRM, entities: set[int], tables: dict[str, set[int]]
) -> tuple[dict[int, str], dict[str, dict[int, int]]]:
    with crm.db.transaction() as conn:
        raw = conn.connection.dbapi_connection
        setypes = {
            i: row[0]
            for i in entities
            if (
                row := raw.execute(
                    "SELECT setype FROM crmentity WHERE crmid = ? AND deleted = 0", [i]
                ).fetchone()
            )
        }
        rows = {
            table: {
                i: row[0]
                for i in ids
                if (row := raw.execute(f"SELECT {DELETED} FROM {table} WHERE crmid = ?", [i]).fetchone())
            }
            for table, ids in tables.items()
        }
    return setypes, rows


@pytest.mark.parametrize("count", [1, 2, 3, 8, 9, 31, 33, 256, 257, 700])
def test_look_up_agrees_with_one_query_per_id(crm: CRM, count: int) -> None:
    _seed(crm)
    # Ids that exist, are deleted, or never existed, in every part at once.
    entities = {990 + 3 * i for i in range(count)}
    tables = {
        "users": {1 + i for i in range(min(count, 20))},
        "groups": {1, 2, 3, 99},
        "account": set(entities),
    }
    with crm.db.transaction() as conn:
        found = look_up(crm.db, conn, entities, tables)
    setypes, rows = _naive(crm, entities, tables)
    assert found.setypes == setypes
    assert found.rows == rows
    assert any(v == 1 for v in rows["account"].values()) == (count > 3)  # deleted rows are reported


def test_look_up_of_nothing_asks_nothing(crm: CRM) -> None:
    with crm.db.transaction() as conn:
        found = look_up(crm.db, conn, set(), {"users": set()})
    assert found.setypes == {} and found.rows == {"users": {}}


def test_owners_and_references_print_from_one_look_up(crm: CRM) -> None:
    """A record's owner (group or user) and its user and record references come out right."""
    _seed(crm)
    with crm.db.transaction("write") as conn:
        crm.load_records(
            conn,
            {
                "Accounts": [
                    {
                        "id": "11x3000",
                        "accountname": "Ref",
                        "account_id": "11x1001",
                        "assigned_user_id": "20x3",
                        "modifiedby": "19x7",
                    }
                ]
            },
        )
    statements: list[str] = []
    with crm.db.transaction() as conn:
        raw = conn.connection.dbapi_connection
        raw.set_trace_callback(statements.append)
        try:
            record = crm.records.retrieve(conn, crm.modules["Accounts"], 3000)
        finally:
            raw.set_trace_callback(None)
    assert record["account_id"] == "11x1001"
    assert record["assigned_user_id"] == "20x3"
    assert record["modifiedby"] == "19x7"
    assert len([s for s in statements if s.startswith("SELECT")]) == 2  # the row, then one look-up
