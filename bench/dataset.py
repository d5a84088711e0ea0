"""Bulk data for the benchmarks: Accounts and Contacts written straight into the CRM's tables.

Creating 1,000,000 Accounts through the create operation would take an hour (and the benchmark
would mostly measure that); here rows go in with executemany, 10,000 at a time, in exactly the
shape a create stores them (the module table row + its crmentity row), and the id sequence and
record-number counters are moved past them so later creates continue where the load stopped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.database import CONVERTED, DELETED
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import Settings

CHUNK = 10_000
ADMIN_ID = 1
OWNERS = (1, 2, 3, 4)  # the admin user and the three groups of a fresh install
INDUSTRIES = ("Banking", "Chemicals", "Education", "Finance", "Hospitality", "Retail", "Technology")
CITIES = ("Berlin", "Lisbon", "Madrid", "Oslo", "Paris", "Rome", "Vienna", "Warsaw")
STAMP = "2026-01-15 10:00:00"


def account_name(i: int) -> str:
    """The i-th bench Account's name (0-based): unique, so equality finds exactly one record."""
    return f"Account {i:07d}"


def new_account_id(ids: list[int], n: int) -> str:
    """The n-th of a run's Account id texts that are all different ("11x0066", "11x00066", … name
    record 66 as they do in Vtiger), so that no kept answer serves a retrieve of one."""
    return f"11x{'0' * (1 + n // len(ids))}{ids[n % len(ids)]}"


def new_crm(database_url: str = "sqlite://") -> CRM:
    settings = Settings(database_url=database_url)
    crm = CRM(settings.profile_dir, database_url, admin_access_key=settings.admin_access_key)
    crm.initialize()
    return crm


def _sequence(conn: Connection, crm: CRM, name: str) -> str | None:
    seq = crm.db.sequences
    return conn.execute(sa.select(seq.c.value).where(seq.c.name == name)).scalar()


def _set_sequence(conn: Connection, crm: CRM, name: str, value: str) -> None:
    seq = crm.db.sequences
    conn.execute(seq.update().where(seq.c.name == name).values(value=value))


def _base_row(crm: CRM, module_name: str) -> dict[str, Any]:
    # Every column a create writes: fields a client does not send get their default.
    module = crm.modules[module_name]
    row: dict[str, Any] = {f.col: f.default for f in module.fields}
    row.update({DELETED: 0, CONVERTED: 0})
    for name, value in (
        ("createdtime", STAMP),
        ("modifiedtime", STAMP),
        ("modifiedby", ADMIN_ID),
        ("source", "WEBSERVICE"),
    ):
        if (f := module.field(name)) is not None:
            row[f.col] = value
    return row


def _load(crm: CRM, module_name: str, n: int, make: Any) -> tuple[list[int], float]:
    """Insert n rows built by make(i, crmid, number, rng); returns their ids and the seconds taken."""
    t0 = time.perf_counter()
    module = crm.modules[module_name]
    table = crm.db.table_for(module)
    ent = crm.db.crmentity
    base = _base_row(crm, module_name)
    owner_col = next(f.col for f in module.fields if f.kind == "owner")
    rng = random.Random(f"{module_name}:{n}")
    ids: list[int] = []
    columns = [c.name for c in table.columns]
    # Raw DBAPI executemany with tuples: SQLAlchemy's per-row dict processing would triple the
    # load time at 1,000,000 rows.
    insert_row = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    insert_entity = (
        f"INSERT INTO {ent.name} (crmid, setype, deleted, smownerid, modifiedtime) VALUES (?, ?, 0, ?, ?)"
    )
    with crm.db.transaction("write") as conn:
        first = int(_sequence(conn, crm, "crmid") or "0") + 1
        counter_name = f"num:{module_name}"
        first_number = int(_sequence(conn, crm, counter_name) or "1")
        numbering = module.numbering
        number_col = module.by_name[numbering.field].col if numbering is not None else None
        for chunk in _chunks(range(n)):
            rows = []
            entities = []
            for i in chunk:
                crmid = first + i
                row = dict(base, crmid=crmid)
                if number_col is not None and numbering is not None:
                    row[number_col] = f"{numbering.prefix}{first_number + i}"
                row.update(make(i, crmid, rng))
                rows.append(tuple(row[c] for c in columns))
                entities.append((crmid, module_name, row[owner_col] or 0, STAMP))
                ids.append(crmid)
            conn.exec_driver_sql(insert_row, rows)
            conn.exec_driver_sql(insert_entity, entities)
        if n:
            _set_sequence(conn, crm, "crmid", str(first + n - 1))
            if numbering is not None:
                _set_sequence(conn, crm, counter_name, str(first_number + n))
    return ids, time.perf_counter() - t0


def _chunks(items: range) -> Iterator[range]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def load_accounts(crm: CRM, n: int, *, start_index: int = 0) -> tuple[list[int], float]:
    """n Accounts: unique names, owners spread over the admin and the 3 groups, half of them
    members of an earlier Account (a reference to filter on)."""
    first_id: list[int] = []

    def make(i: int, crmid: int, rng: random.Random) -> dict[str, Any]:
        if not first_id:
            first_id.append(crmid)
        parent = rng.randrange(first_id[0], crmid) if crmid > first_id[0] and i % 2 else None
        return {
            "accountname": account_name(start_index + i),
            "phone": f"+1 555 {i % 10_000:04d}",
            "website": f"www.account{i}.example",
            "industry": INDUSTRIES[i % len(INDUSTRIES)],
            "rating": ("Hot", "Warm", "Cold")[i % 3],
            "accounttype": "Customer",
            "employees": rng.randrange(1, 5000),
            "annual_revenue": float(rng.randrange(0, 10_000_000)),
            "bill_city": CITIES[i % len(CITIES)],
            "account_id": parent,
            "assigned_user_id": OWNERS[i % len(OWNERS)],
        }

    return _load(crm, "Accounts", n, make)


def load_contacts(crm: CRM, n: int, account_ids: list[int]) -> tuple[list[int], float]:
    def make(i: int, crmid: int, rng: random.Random) -> dict[str, Any]:
        return {
            "firstname": f"First{i}",
            "lastname": f"Last{i:07d}",
            "email": f"contact{i}@example.com",
            "mailingcity": CITIES[i % len(CITIES)],
            "account_id": rng.choice(account_ids) if account_ids else None,
            "assigned_user_id": OWNERS[i % len(OWNERS)],
        }

    return _load(crm, "Contacts", n, make)


def build_file_database(path: Path, accounts: int, contacts: int = 0) -> dict[str, float]:
    """A SQLite file holding a fresh install plus the given records (replaced if it exists)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    crm = new_crm(f"sqlite:///{path}")
    try:
        ids, t_acc = load_accounts(crm, accounts)
        _, t_con = load_contacts(crm, contacts, ids)
        # Fold the WAL into the file (outside any transaction, hence the raw DBAPI connection):
        # start-up should not be measuring a checkpoint.
        raw = crm.db.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    finally:
        crm.db.engine.dispose()
    return {"accounts_s": round(t_acc, 2), "contacts_s": round(t_con, 2)}
