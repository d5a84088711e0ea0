"""The demo company (fixtures/demo/records.json): how it is made, so it can be made again.

    .venv/bin/python -m vtiger_mock.crm.demo > fixtures/demo/records.json

A small, coherent CRM: four sales and support users besides the admin, a catalogue of products and
services from a few vendors, ~50 customer organisations with their contacts, leads, deals at every
sales stage, tickets, quotes and invoices with line items, documents, tasks, meetings and comments.
The file is generated once and checked in (a later change to the generator does not change the
demo); records keep only the fields that differ from what a create would fill in.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.seeding import Fixture, Seeder
from vtiger_mock.crm.state import CRM
from vtiger_mock.crm.synthetic import BASE_EPOCH, MODULES, SyntheticData
from vtiger_mock.settings import DEFAULT_ADMIN_ACCESS_KEY, Settings

SEED = 2025
COUNTS: dict[str, int] = {
    "Vendors": 6,
    "Products": 20,
    "Services": 10,
    "Campaigns": 5,
    "Accounts": 50,
    "Contacts": 150,
    "Leads": 60,
    "Potentials": 80,
    "HelpDesk": 40,
    "Quotes": 25,
    "Invoice": 30,
    "Documents": 20,
    "Calendar": 40,
    "Events": 40,
    "ModComments": 100,
}
# The demo's users (documented access keys, so a demo can log in as each of them).
USERS: list[dict[str, str]] = [
    {
        "id": "19x5",
        "user_name": "sarah.lee",
        "first_name": "Sarah",
        "last_name": "Lee",
        "email1": "sarah.lee@example.com",
        "title": "Sales Manager",
        "department": "Sales",
        "roleid": "H4",
        "is_admin": "off",
        "accesskey": "demoSarahLee0001",
    },
    {
        "id": "19x6",
        "user_name": "tom.baker",
        "first_name": "Tom",
        "last_name": "Baker",
        "email1": "tom.baker@example.com",
        "title": "Account Executive",
        "department": "Sales",
        "roleid": "H5",
        "is_admin": "off",
        "reports_to_id": "19x5",
        "accesskey": "demoTomBaker0002",
    },
    {
        "id": "19x7",
        "user_name": "nina.patel",
        "first_name": "Nina",
        "last_name": "Patel",
        "email1": "nina.patel@example.com",
        "title": "Account Executive",
        "department": "Sales",
        "roleid": "H5",
        "is_admin": "off",
        "reports_to_id": "19x5",
        "accesskey": "demoNinaPatel003",
    },
    {
        "id": "19x8",
        "user_name": "raj.kumar",
        "first_name": "Raj",
        "last_name": "Kumar",
        "email1": "raj.kumar@example.com",
        "title": "Support Engineer",
        "department": "Support",
        "roleid": "H5",
        "is_admin": "off",
        "accesskey": "demoRajKumar0004",
    },
]
# Fields a compact record always keeps, even when they equal the default.
_KEEP = {"id", "createdtime", "modifiedtime", "assigned_user_id"}


def build() -> Fixture:
    clock = Clock()
    clock.freeze(BASE_EPOCH)  # users' timestamps and anything else stamped "now"
    settings = Settings()
    crm = CRM(settings.profile_dir, "sqlite://", admin_access_key=DEFAULT_ADMIN_ACCESS_KEY, clock=clock)
    crm.initialize()
    seeder = Seeder(crm)
    seeder.load({"Users": USERS})
    data = SyntheticData(
        crm.modules, COUNTS, seed=SEED, first_id=crm.profile.first_crmid, owners=(1, 5, 6, 7, 8)
    )
    generated: dict[str, dict[str, Any]] = {}
    grouped: Fixture = {}
    for module, record in data.records():
        generated[record["id"]] = record
        grouped.setdefault(module, []).append(record)
    seeder.load(grouped)
    dumped = seeder.dump(["Users", *MODULES])
    out: Fixture = {"Users": [_compact(seeder, "Users", r) for r in dumped["Users"] if r["id"] != "19x1"]}
    for module in MODULES:
        rows = []
        for record in dumped.get(module, []):
            compact = _compact(seeder, module, record)
            items = generated[record["id"]].get("LineItems")
            if items:
                compact["LineItems"] = items  # kept in the file until the store keeps line items
            rows.append(compact)
        out[module] = rows
    return out


def _compact(seeder: Seeder, module: str, record: dict[str, Any]) -> dict[str, Any]:
    meta = seeder.modules[module]
    defaults = seeder.defaults_for(meta).fixed
    if meta.kind == "users":
        defaults = {**defaults, **seeder.user_template()}
    # None: inventory charges print as JSON null, which is what loading nothing gives anyway.
    return {k: v for k, v in record.items() if k in _KEEP or (v is not None and defaults.get(k) != v)}


def main() -> None:
    json.dump(build(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
