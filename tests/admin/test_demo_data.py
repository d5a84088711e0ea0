"""fixtures/demo/records.json: a coherent small company."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

from vtiger_mock.crm.synthetic import MODULES
from vtiger_mock.settings import fixtures_root

STAGES = {
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal or Price Quote", "Negotiation or Review", "Closed Won", "Closed Lost",
}  # fmt: skip


@cache
def demo() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(
        (fixtures_root() / "demo" / "records.json").read_text(encoding="utf-8")
    )
    return data


def test_the_demo_has_the_promised_shape() -> None:
    counts = {module: len(rows) for module, rows in demo().items()}
    assert counts["Accounts"] == 50 and counts["Contacts"] == 150
    assert set(MODULES) <= set(counts) and counts["Users"] == 4
    assert {p["sales_stage"] for p in demo()["Potentials"]} == STAGES
    tasks = [r for r in demo()["Calendar"] if r["activitytype"] == "Task"]
    assert len(tasks) == counts["Calendar"]
    assert len({a["accountname"] for a in demo()["Accounts"]}) == 50  # names are unique


def test_every_reference_points_to_a_record_of_the_demo() -> None:
    ids = {r["id"] for rows in demo().values() for r in rows}
    ids |= {"19x1", "21x1", "22x1"}  # admin, currency, default folder of the fresh install
    for module, rows in demo().items():
        for record in rows:
            for key, value in record.items():
                if key in ("id", "LineItems") or not isinstance(value, str):
                    continue
                if value.count("x") == 1 and all(part.isdigit() for part in value.split("x")):
                    assert value in ids, f"{module} {record['id']}.{key} = {value}"
            for item in record.get("LineItems", []):
                assert item["productid"] in ids


def test_inventory_totals_add_up() -> None:
    for module in ("Quotes", "Invoice"):
        for record in demo()[module]:
            items = record["LineItems"]
            assert items, record["id"]
            total = sum(float(i["quantity"]) * float(i["listprice"]) for i in items)
            assert abs(float(record["hdnGrandTotal"]) - total) < 0.01


def test_contacts_work_at_their_organisation() -> None:
    domains = {a["id"]: a["website"].removeprefix("https://www.") for a in demo()["Accounts"]}
    per_account = Counter(c["account_id"] for c in demo()["Contacts"])
    assert set(per_account.values()) == {3}
    for contact in demo()["Contacts"]:
        assert contact["email"].endswith("@" + domains[contact["account_id"]])
