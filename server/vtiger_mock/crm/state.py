"""The CRM: everything the emulator knows, built from a profile and a database URL.

No HTTP in here: tests and the admin API use this object directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.auth import Auth, IdGenerator
from vtiger_mock.crm.changes import ChangeTracker
from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.database import DELETED, Database
from vtiger_mock.crm.files import FileStore
from vtiger_mock.crm.leads import LeadConverter
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.records import RecordStore
from vtiger_mock.crm.relations import RELATIONS_FILE, RelationModel, Relations
from vtiger_mock.crm.schema import load_modules
from vtiger_mock.crm.sequences import Sequences
from vtiger_mock.crm.users import UserAdmin
from vtiger_mock.crm.values import from_output, split_ws_id

ACCESS_KEY_PLACEHOLDER = "<ACCESSKEY>"


@dataclass(frozen=True)
class Profile:
    name: str
    vtiger_version: str
    api_version: str
    first_crmid: int
    first_user_id: int
    login_user_fields: dict[str, str]
    directory: Path
    # vtiger_ws_fieldtype: uitype → the type name listtypes' fieldTypeList filter matches.
    ws_field_types: dict[int, str]

    @classmethod
    def load(cls, directory: Path) -> Profile:
        data = json.loads((directory / "profile.json").read_text(encoding="utf-8"))
        return cls(
            name=data["name"],
            vtiger_version=data["vtigerVersion"],
            api_version=data["apiVersion"],
            first_crmid=int(data.get("firstCrmid", 1)),
            first_user_id=int(data.get("firstUserId", 2)),
            login_user_fields=dict(data.get("loginUserFields", {})),
            directory=directory,
            ws_field_types={int(k): v for k, v in data.get("wsFieldTypes", {}).items()},
        )


class CRM:
    def __init__(
        self,
        profile_dir: Path,
        database_url: str = "sqlite://",
        *,
        admin_access_key: str,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        self.profile = Profile.load(profile_dir)
        self.clock = clock or Clock()
        self.modules = ModuleRegistry(load_modules(profile_dir / "modules"))
        self.db = Database(database_url, self.modules)
        self.sequences = Sequences(self.db)
        self.records = RecordStore(
            self.db, self.modules, self.clock, self.sequences, first_user_id=self.profile.first_user_id
        )
        self.seed = seed
        self.ids = IdGenerator(self.clock, seed)
        self.auth = Auth(self.db, self.modules["Users"], self.clock, self.ids)
        self.files = FileStore(self.db, self.sequences)
        self.users = UserAdmin(self.db, self.modules, self.clock)
        self.relations = Relations(
            self.db, self.modules, self.clock, RelationModel.load(profile_dir / RELATIONS_FILE)
        )
        self.changes = ChangeTracker.load(self)
        self.leads = LeadConverter(
            self.db, self.modules, self.records, self.clock, profile_dir / "convertlead.json"
        )
        self.admin_access_key = admin_access_key

    def restart_ids(self) -> None:
        """Start the token / session-id sequence again, as a restarted server would.  Seeded, the
        ids that follow a reset are the ones a fresh start gives, whatever ran before."""
        self.ids = IdGenerator(self.clock, self.seed)
        self.auth.ids = self.ids

    def initialize(self) -> bool:
        """Create the tables; a new database gets the records of a fresh install.  Whether the
        database was new."""
        self.db.create_all()
        if not self.db.is_empty():
            return False
        with self.db.transaction("write") as conn:
            self.sequences.init(conn, list(self.modules), self.profile.first_crmid)
            self.load_records(conn, self._initial_records())
        return True

    def _initial_records(self) -> dict[str, list[dict[str, str]]]:
        data: dict[str, list[dict[str, str]]] = json.loads(
            (self.profile.directory / "initial.json").read_text(encoding="utf-8")
        )
        for user in data.get("Users", []):
            if user.get("accesskey") == ACCESS_KEY_PLACEHOLDER:
                user["accesskey"] = self.admin_access_key
        return data

    def load_records(self, conn: Connection, records: dict[str, list[dict[str, Any]]]) -> None:
        """Insert records given as printed values (fixture or dump format), keeping their ids."""
        for module_name, rows in records.items():
            module = self.modules[module_name]
            table = self.db.table_for(module)
            owner = next((f for f in module.fields if f.kind == "owner"), None)
            # executemany per distinct column set: one statement per row costs ~1 ms in SQLAlchemy's
            # statement building, which made loading 100k synthetic records take minutes.
            batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            entities: list[dict[str, Any]] = []
            lines: list[tuple[int, list[dict[str, Any]]]] = []
            # Plain text fields are stored as printed; only the others need converting.
            fields = [(f.name, f.col, None if f.kind == "string" else f) for f in module.fields]
            for printed in rows:
                record_id = int(split_ws_id(printed["id"])[1])
                values = {
                    col: (str(printed[name]) if f is None else from_output(f, str(printed[name])))
                    for name, col, f in fields
                    if name in printed
                }
                row = {"crmid": record_id, DELETED: 0, **values}
                batches.setdefault(tuple(row), []).append(row)
                if module.is_inventory and isinstance(printed.get("LineItems"), list):
                    lines.append((record_id, printed["LineItems"]))
                if module.kind == "crm":
                    # A Calendar row with activitytype Meeting is an Event (shared activity table).
                    filed_as = self.modules.module_of_row(module, values) if module.selector else module
                    entities.append(
                        {
                            "crmid": record_id,
                            "setype": filed_as.name,
                            "deleted": 0,
                            "smownerid": (values.get(owner.col) if owner is not None else None) or 0,
                            "modifiedtime": values.get("modifiedtime") or self.clock.timestamp(),
                        }
                    )
            for batch in batches.values():
                conn.execute(table.insert(), batch)
            if entities:
                conn.execute(self.db.crmentity.insert(), entities)
            for record_id, items in lines:
                self.records.inventory.load_lines(conn, module, record_id, items)

    def record_counts(self) -> dict[str, int]:
        ent = self.db.crmentity
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(ent.c.setype, sa.func.count()).where(ent.c.deleted == 0).group_by(ent.c.setype)
            ).all()
        return {str(name): int(n) for name, n in rows}
