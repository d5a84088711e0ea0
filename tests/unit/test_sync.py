"""sync (spec §8): change tracking read from crmentity, through the app and through the tracker.
The recordings of 8.2.0 with PHP 7 argument passing are the oracle for the answer's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import START_EPOCH, WsClient, error, ok, recorded, same_json
from vtiger_mock.crm.changes import datetime_after
from vtiger_mock.crm.clock import format_epoch
from vtiger_mock.crm.seeding import Seeder
from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.sync import php_int

PHP7 = "transcript-php7-semantics.jsonl"


def sync(ws: WsClient, **params: str) -> Any:
    return ok(ws.sget(operation="sync", **params))


def account(ws: WsClient, name: str, **fields: str) -> dict[str, Any]:
    return ws.create("Accounts", {"accountname": name, "assigned_user_id": "19x1", **fields})


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records]


@pytest.fixture
def client(ws: WsClient) -> WsClient:
    ws.login()
    return ws


def test_answer_shape_matches_the_recording(client: WsClient) -> None:
    expected = recorded("patched_sync_since_checkpoint_Contacts", PHP7)["response_json"]["result"]
    contact = client.create("Contacts", {"lastname": "SyncContact", "assigned_user_id": "19x1"})
    result = sync(client, modifiedTime=str(START_EPOCH - 1), elementType="Contacts")
    assert list(result) == ["updated", "deleted", "more", "lastModifiedTime"]
    assert result["lastModifiedTime"] == START_EPOCH and result["more"] is False
    row = result["updated"][0]
    # A `select *` row: the recorded key order, no label.
    assert list(row) == list(expected["updated"][0])
    query = ok(client.sget(operation="query", query="select * from Contacts;"))
    assert same_json(row, query[0]) and row["id"] == contact["id"]


def test_creates_updates_and_deletes_since_a_time(client: WsClient, crm: CRM) -> None:
    kept = account(client, "Kept")
    gone = account(client, "Gone")
    crm.clock.advance(5)
    checkpoint = START_EPOCH + 2
    changed = ok(client.spost(operation="revise", element=json.dumps({"id": kept["id"], "phone": "555"})))
    ok(client.spost(operation="delete", id=gone["id"]))
    new = account(client, "New")
    result = sync(client, modifiedTime=str(checkpoint), elementType="Accounts")
    assert ids(result["updated"]) == [kept["id"], new["id"]]  # database (id) order
    first = result["updated"][0]
    assert first["phone"] == "555" and first["modifiedtime"] == changed["modifiedtime"]
    assert result["deleted"] == [gone["id"]]
    assert result["lastModifiedTime"] == START_EPOCH + 5 and result["more"] is False
    # Nothing after the last change: the time comes back as given.
    assert sync(client, modifiedTime=str(START_EPOCH + 5), elementType="Accounts") == {
        "updated": [],
        "deleted": [],
        "more": False,
        "lastModifiedTime": START_EPOCH + 5,
    }


def test_future_time_answers_like_the_recording(client: WsClient) -> None:
    exchange = recorded("patched_sync_future_time", PHP7)
    account(client, "Anything")
    assert same_json(ok(client.send_recorded(exchange)), exchange["response_json"]["result"])


def test_the_first_hundred_change_times_decide_the_page(client: WsClient, crm: CRM) -> None:
    accounts = crm.modules["Accounts"]
    with crm.db.transaction("write") as conn:  # the store directly: 120 creates over HTTP are slow
        actor = crm.auth.actor(conn, 1)
        assert actor is not None
        for i in range(60):
            crm.records.create(
                conn, accounts, {"accountname": f"Early {i}", "assigned_user_id": "19x1"}, actor
            )
        crm.clock.advance(1)
        for i in range(60):  # the 100th change falls in this second: all 60 come along
            crm.records.create(
                conn, accounts, {"accountname": f"Same {i}", "assigned_user_id": "19x1"}, actor
            )
    crm.clock.advance(1)
    late = account(client, "Late")
    first = sync(client, modifiedTime="1", elementType="Accounts")
    assert len(first["updated"]) == 120 and first["more"] is True
    assert first["lastModifiedTime"] == START_EPOCH + 1
    second = sync(client, modifiedTime=str(first["lastModifiedTime"]), elementType="Accounts")
    assert ids(second["updated"]) == [late["id"]] and second["more"] is False


def test_only_the_users_own_records(client: WsClient) -> None:
    mine = account(client, "Mine")
    account(client, "Group's", assigned_user_id="20x3")
    result = sync(client, modifiedTime="1", elementType="Accounts")
    assert ids(result["updated"]) == [mine["id"]]


def test_untyped_sync_covers_every_module_grouped_in_listtypes_order(client: WsClient) -> None:
    contact = client.create("Contacts", {"lastname": "Doe", "assigned_user_id": "19x1"})
    acc = account(client, "Acme")
    task = client.create(
        "Calendar",
        {
            "subject": "Call",
            "activitytype": "Task",
            "date_start": "2026-12-01",
            "due_date": "2026-12-01",
            "time_start": "09:00:00",
            "taskstatus": "Not Started",
            "assigned_user_id": "19x1",
        },
    )
    result = sync(client, modifiedTime="0")
    # listtypes order: Calendar, ..., Accounts, Contacts; each record once, Users never.
    assert ids(result["updated"]) == [task["id"], acc["id"], contact["id"]]


def test_element_type_checks(client: WsClient) -> None:
    assert error(client.sget(operation="sync", modifiedTime="1", elementType="NoSuchModule")) == (
        "ACCESS_DENIED",
        "Permission to perform the operation is denied",
    )
    assert error(client.sget(operation="sync", modifiedTime="1", elementType="Groups"))[0] == "ACCESS_DENIED"
    # Users is an entity but never synced: GetUpdates.php returns early, echoing modifiedTime.
    assert json.dumps(sync(client, modifiedTime="123", elementType="Users")) == (
        '{"updated": [], "deleted": [], "lastModifiedTime": "123", "more": false}'
    )


@pytest.mark.parametrize("value", [None, "", "0", "yesterday"])
def test_modified_time_missing_or_text_means_from_the_start(client: WsClient, value: str | None) -> None:
    acc = account(client, "Acme")
    params = {"elementType": "Accounts"} | ({} if value is None else {"modifiedTime": value})
    assert ids(sync(client, **params)["updated"]) == [acc["id"]]


def test_php_int_cast() -> None:
    cases = {"": 0, "12": 12, " 12abc": 12, "1e3": 1000, "-5": -5, "1.9": 1, "x1": 0, "9" * 40: 2**63 - 1}
    assert php_int(None) == 0
    assert {text: php_int(text) for text in cases} == cases
    assert datetime_after(-(10**15)) < "1970" and datetime_after(10**15) == "9999-12-31 23:59:59"


def test_converted_leads_come_back_as_deleted(client: WsClient, crm: CRM) -> None:
    lead = client.create("Leads", {"lastname": "Lead", "company": "LeadCo", "assigned_user_id": "19x1"})
    crm.clock.advance(3)
    element = {
        "leadId": lead["id"],
        "assignedTo": "19x1",
        "entities": {"Contacts": {"create": True, "name": "Contacts", "lastname": "Lead"}},
    }
    ok(client.spost(operation="convertlead", element=json.dumps(element)))
    result = sync(client, modifiedTime=str(START_EPOCH + 1), elementType="Leads")
    assert result["updated"] == [] and result["deleted"] == [lead["id"]]


def test_calendar_rows_merge_the_two_status_fields(client: WsClient) -> None:
    expected = recorded("patched_sync_modifiedTime_1_Calendar", PHP7)["response_json"]["result"]["updated"][0]
    client.create(
        "Calendar",
        {
            "subject": "Follow up",
            "activitytype": "Task",
            "date_start": "2026-12-05",
            "due_date": "2026-12-05",
            "time_start": "09:00:00",
            "taskstatus": "Not Started",
            "assigned_user_id": "19x1",
        },
    )
    row = sync(client, modifiedTime="1", elementType="Calendar")["updated"][0]
    assert list(row) == list(expected)
    assert row["taskstatus"] == row["eventstatus"] == "Not Started"


def test_inventory_rows_lose_line_item_fields(crm: CRM) -> None:
    expected = recorded("patched_sync_modifiedTime_1_Invoice", PHP7)["response_json"]["result"]["updated"][0]
    tracker = crm.changes
    invoice = crm.modules["Invoice"]
    dropped = tracker._line_item_keys(invoice)
    assert {"productid", "quantity", "listprice", "tax1", "margin"} <= dropped
    assert [k for k in (invoice.query_order or ()) if k not in dropped] == list(expected)


def test_add_related_counts_as_a_change_of_the_source(client: WsClient, crm: CRM) -> None:
    acc = account(client, "Acme")
    doc = client.create(
        "Documents", {"notes_title": "Spec", "assigned_user_id": "19x1", "filelocationtype": "E"}
    )
    crm.clock.advance(10)
    ok(
        client.spost(
            operation="add_related",
            sourceRecordId=acc["id"],
            relatedRecordId=doc["id"],
            relationIdLabel="Documents",
        )
    )
    result = sync(client, modifiedTime=str(START_EPOCH + 5), elementType="Accounts")
    assert ids(result["updated"]) == [acc["id"]]
    assert result["updated"][0]["modifiedtime"] == format_epoch(START_EPOCH + 10)


def test_seeded_records_are_changes_too(client: WsClient, crm: CRM) -> None:
    # The admin API's loader writes crmentity like the webservice does.
    crm.clock.advance(60)
    Seeder(crm).load({"Accounts": [{"accountname": "Seeded"}], "Contacts": [{"lastname": "Seeded"}]})
    result = sync(client, modifiedTime=str(START_EPOCH + 30))
    assert [r["accountname" if r["id"].startswith("11x") else "lastname"] for r in result["updated"]] == [
        "Seeded",
        "Seeded",
    ]
    assert result["lastModifiedTime"] == START_EPOCH + 60
