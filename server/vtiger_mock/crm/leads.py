"""Lead conversion (ConvertLead.php, 7.x+ `element` form): creates or reuses the Account, creates
the Contact and the Potential, links them, and marks the lead converted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.database import CONVERTED, DELETED, Database
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.records import Actor, RecordStore
from vtiger_mock.protocol import errors

# The order ConvertLead.php creates records in; later ones link to earlier ones.
TARGETS = ("Accounts", "Contacts", "Potentials")
CONVERTED_FLAG = "isconvertedfromlead"


class LeadConverter:
    def __init__(
        self, db: Database, modules: ModuleRegistry, records: RecordStore, clock: Clock, mapping_file: Path
    ) -> None:
        self.db = db
        self.modules = modules
        self.records = records
        self.clock = clock
        self.mapping: dict[str, dict[str, str]] = (
            {k: v for k, v in json.loads(mapping_file.read_text(encoding="utf-8")).items() if k in TARGETS}
            if mapping_file.exists()
            else {}
        )

    def is_converted(self, conn: Connection, lead_id: int) -> bool:
        table = self.db.table_for(self.modules["Leads"])
        return bool(conn.execute(sa.select(table.c[CONVERTED]).where(table.c.crmid == lead_id)).scalar())

    def convert(self, conn: Connection, element: Any, actor: Actor) -> dict[str, str] | None:
        element = element if isinstance(element, dict) else {}
        users = self.modules["Users"]
        assigned_to = element.get("assignedTo") or f"{users.id_prefix}x{actor.id}"
        leads_module, lead_id = self.records.locate(conn, element.get("leadId"))
        lead = self.records.retrieve(conn, leads_module, lead_id)
        if self.is_converted(conn, lead_id):
            raise errors.lead_already_converted()
        entities = element.get("entities")
        entities = entities if isinstance(entities, dict) else {}
        wanted = {
            name: spec
            for name in TARGETS
            if isinstance(spec := entities.get(name), dict) and spec.get("create")
        }
        if "Accounts" not in wanted and "Contacts" not in wanted:
            return None
        created: dict[str, str] = {}
        for name, spec in wanted.items():
            module = self.modules[name]
            values: dict[str, Any] = {"assigned_user_id": assigned_to}
            for lead_field, target_field in self.mapping.get(name, {}).items():
                if lead.get(lead_field) not in (None, ""):
                    values[target_field] = lead[lead_field]
            values.update(
                {
                    k: v
                    for k, v in spec.items()
                    if v not in (None, "", 0, False) and k not in ("create", "name")
                }
            )
            if name == "Potentials":
                values.update(related_to=created.get("Accounts", ""), contact_id=created.get("Contacts", ""))
            if name == "Contacts" and "Accounts" in created:
                values["account_id"] = created["Accounts"]
            existing = self._existing_account(conn, values) if name == "Accounts" else None
            if existing is not None:
                created[name] = f"{module.id_prefix}x{existing}"
                continue
            try:
                record = self.records.create(conn, module, values, actor)
            except errors.WebServiceError as error:
                if error.code == 0:  # duplicates pass through unchanged
                    raise
                raise errors.WebServiceError("UNKNOWN_OPERATION", f"{error.message} : {name}") from error
            created[name] = str(record["id"])
            self._flag_converted_from_lead(conn, module, int(created[name].split("x")[1]))
        self._mark_converted(conn, lead_id, actor)
        return created

    def _existing_account(self, conn: Connection, values: dict[str, Any]) -> int | None:
        module = self.modules["Accounts"]
        f = module.field(module.unique_field or "accountname")
        if f is None or not values.get(f.name):
            return None
        table = self.db.table_for(module)
        return conn.execute(
            sa.select(table.c.crmid)
            .where(table.c[f.col] == str(values[f.name]), table.c[DELETED] == 0)
            .order_by(table.c.crmid)
            .limit(1)
        ).scalar()

    def _flag_converted_from_lead(self, conn: Connection, module: Any, record_id: int) -> None:
        f = module.field(CONVERTED_FLAG)
        if f is not None:
            table = self.db.table_for(module)
            conn.execute(table.update().where(table.c.crmid == record_id).values({f.col: 1}))

    def _mark_converted(self, conn: Connection, lead_id: int, actor: Actor) -> None:
        leads = self.modules["Leads"]
        table = self.db.table_for(leads)
        now = self.clock.timestamp()
        stamp: dict[str, Any] = {CONVERTED: 1}
        for name, value in (("modifiedtime", now), ("modifiedby", actor.id)):
            if leads.field(name) is not None:
                stamp[leads.by_name[name].col] = value
        conn.execute(table.update().where(table.c.crmid == lead_id).values(stamp))
        ent = self.db.crmentity
        conn.execute(ent.update().where(ent.c.crmid == lead_id).values(modifiedtime=now))
