"""Fixture records (seed data, dumps) load with their line items and land in the right module."""

from __future__ import annotations

import json

from vtiger_mock.crm.records import Actor
from vtiger_mock.crm.seeding import Seeder
from vtiger_mock.crm.state import CRM

ADMIN = Actor(id=1, user_name="admin", is_admin=True, currency_decimals=0)


def test_inventory_line_items_load_with_totals_and_dump_back(crm: CRM) -> None:
    fixture = {
        "Products": [
            {"id": "14x100", "productname": "Widget", "unit_price": "20", "assigned_user_id": "19x1"}
        ],
        "Quotes": [
            {
                "id": "4x101",
                "subject": "Seeded quote",
                "quotestage": "Created",
                "bill_street": "1 Main St",
                "ship_street": "1 Main St",
                "assigned_user_id": "19x1",
                "LineItems": [{"productid": "14x100", "quantity": "3", "listprice": "20"}],
            }
        ],
    }
    seeder = Seeder(crm)
    seeder.load(fixture)
    with crm.db.transaction() as conn:
        quote = crm.records.retrieve(conn, crm.modules["Quotes"], 101, ADMIN)
    assert quote["hdnSubTotal"] == "60.00000000"
    assert [(line["productid"], line["quantity"]) for line in quote["LineItems"]] == [("14x100", "3.000")]
    dumped = seeder.dump(["Quotes"])["Quotes"]
    assert dumped[0]["LineItems"] == [
        {
            "productid": "14x100",
            "quantity": "3.000",
            "listprice": "20.00000000",
            "comment": "",
            "description": "",
            "discount_percent": "0.000",
            "discount_amount": "0.00000000",
        }
    ]


def test_an_activity_that_is_not_a_task_loads_as_an_event(crm: CRM) -> None:
    Seeder(crm).load(
        {
            "Calendar": [
                {
                    "id": "9x200",
                    "subject": "Meeting, not a task",
                    "activitytype": "Meeting",
                    "date_start": "2026-01-05",
                    "due_date": "2026-01-05",
                    "assigned_user_id": "19x1",
                }
            ]
        }
    )
    with crm.db.transaction() as conn:
        module, record_id = crm.records.locate(conn, "18x200")
    assert (module.name, record_id) == ("Events", 200)


def test_query_blanks_only_what_8_2_0_blanks_and_dumps_keep_everything(crm: CRM) -> None:
    from vtiger_mock.operations.query import query
    from vtiger_mock.protocol.context import Context
    from vtiger_mock.settings import Settings

    with crm.db.transaction() as conn:
        ctx = Context(crm, Settings(), None, conn, None, ADMIN)  # type: ignore[arg-type]
        [row] = json.loads(query(ctx, {"query": "select * from Users;"}).json)
        retrieved = crm.records.retrieve(conn, crm.modules["Users"], 1)
    # recording query_Users_star: the currency format preferences come back empty from a query.
    assert row["no_of_currency_decimals"] == "" and retrieved["no_of_currency_decimals"] == "0"
    assert row["user_name"] == retrieved["user_name"] == "admin"
    [dumped] = Seeder(crm).dump(["Users"])["Users"]
    assert dumped["no_of_currency_decimals"] == "0"
