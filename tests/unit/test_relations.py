"""relatedtypes, retrieve_related, query_related, add_related (spec §9) and the relation data.
The real 8.2.0 recordings are the oracle where they cover a case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import START_EPOCH, WsClient, error, ok, recorded, same_json
from vtiger_mock.crm.clock import format_epoch
from vtiger_mock.crm.relations import RELATIONS_FILE, RelationModel
from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.relations import inject_ids

RELATION_INCORRECT = ("UNKOWN_ENTITY", "Relation specified is incorrect")
INTERNAL = ("INTERNAL_SERVER_ERROR", "Unknown Error while processing request")


@pytest.fixture
def client(ws: WsClient) -> WsClient:
    ws.login()
    return ws


def related(ws: WsClient, record: dict[str, Any], module: str, label: str | None = None) -> list[str]:
    params = {"operation": "retrieve_related", "id": record["id"], "relatedType": module}
    result = ok(ws.sget(**params, relatedLabel=label or module))
    return [r["id"] for r in result]


def add(ws: WsClient, source: dict[str, Any], target: dict[str, Any], label: str | None = None) -> Any:
    body = {"operation": "add_related", "sourceRecordId": source["id"], "relatedRecordId": target["id"]}
    return ws.spost(**body, **({"relationIdLabel": label} if label is not None else {}))


def account(ws: WsClient, name: str = "Acme") -> dict[str, Any]:
    return ws.create("Accounts", {"accountname": name, "assigned_user_id": "19x1"})


def contact(ws: WsClient, name: str, **fields: str) -> dict[str, Any]:
    return ws.create("Contacts", {"lastname": name, "assigned_user_id": "19x1", **fields})


def document(ws: WsClient, title: str = "Spec") -> dict[str, Any]:
    return ws.create("Documents", {"notes_title": title, "assigned_user_id": "19x1", "filelocationtype": "E"})


# ---------------------------------------------------------------- the data


def test_relation_data_refers_to_known_modules_and_fields(crm: CRM) -> None:
    model = RelationModel.load(crm.profile.directory / RELATIONS_FILE)
    stores_read = set()
    for source, relations in model.relations.items():
        assert crm.modules.get(source) is not None, source
        for relation in relations:
            target = crm.modules[relation.module]
            for finder in relation.finders:
                anchor = crm.modules[finder.via.module] if finder.via else crm.modules[source]
                if finder.via:
                    assert anchor.field(finder.via.field) is not None, (source, relation.label)
                if finder.kind == "field":
                    assert target.field(finder.field) is not None, (source, relation.label, finder.field)
                elif finder.kind == "sourceField":
                    assert anchor.field(finder.field) is not None, (source, relation.label)
                elif finder.kind == "through":
                    middle = crm.modules[finder.through]
                    assert middle.field(finder.match) and middle.field(finder.pick)
                else:
                    stores_read.add(finder.store)
            for alternative in relation.where:
                assert all(target.field(c.field) is not None for c in alternative), (source, relation.label)
    stores_written = {rule.store for rule in model.add_rules if rule.store}
    assert stores_written <= stores_read


@pytest.mark.parametrize("module", ["Accounts", "Contacts", "HelpDesk", "Potentials", "Products"])
def test_relatedtypes_answers_like_the_recording(client: WsClient, module: str) -> None:
    exchange = recorded(f"relatedtypes_{module}")
    assert same_json(ok(client.send_recorded(exchange)), exchange["response_json"]["result"])


def test_relatedtypes_errors_and_empty_lists(client: WsClient) -> None:
    for name in ("relatedtypes_unknown", "relatedtypes_missing_elementType", "relatedtypes_via_POST"):
        exchange = recorded(name)
        assert client.send_recorded(exchange).json() == exchange["response_json"]
    # No relations: PHP's empty array is [] for both keys.
    assert ok(client.sget(operation="relatedtypes", elementType="Events")) == {"types": [], "information": []}
    assert ok(client.sget(operation="relatedtypes", elementType="Groups")) == {"types": [], "information": []}


def test_inventory_modules_list_comments_twice(crm: CRM) -> None:
    # 660_to_700 adds ModComments with no relation field, 810_to_820 adds it again with one.
    model = crm.relations.model
    assert [r.module for r in model.of("Quotes")].count("ModComments") == 2


# ---------------------------------------------------------------- finding related records


def test_related_through_reference_fields(client: WsClient) -> None:
    acc = account(client)
    other = account(client, "Other")
    jane = contact(client, "Roe", account_id=acc["id"])
    contact(client, "Elsewhere", account_id=other["id"])
    john = contact(client, "Doe")
    deal = client.create(
        "Potentials",
        {
            "potentialname": "Deal",
            "closingdate": "2026-12-31",
            "sales_stage": "Prospecting",
            "assigned_user_id": "19x1",
            "contact_id": jane["id"],
        },
    )
    assert related(client, acc, "Contacts") == [jane["id"]]
    # Accounts' lists also take in what hangs off the account's contacts.
    assert related(client, acc, "Potentials") == [deal["id"]]
    assert related(client, jane, "Potentials") == [deal["id"]]
    assert related(client, john, "Potentials") == []
    assert related(client, deal, "Contacts") == [jane["id"]]


def test_activities_and_history_split_on_status(client: WsClient) -> None:
    acc = account(client)
    common = {
        "activitytype": "Task",
        "date_start": "2026-12-01",
        "due_date": "2026-12-01",
        "time_start": "09:00:00",
        "assigned_user_id": "19x1",
        "parent_id": acc["id"],
    }
    open_task = client.create("Calendar", {"subject": "Open", "taskstatus": "Not Started", **common})
    done_task = client.create("Calendar", {"subject": "Done", "taskstatus": "Completed", **common})
    assert related(client, acc, "Calendar", "Activities") == [open_task["id"]]
    assert related(client, acc, "Calendar", "Activity History") == [done_task["id"]]


def test_deleted_records_are_not_related(client: WsClient) -> None:
    acc = account(client)
    jane = contact(client, "Roe", account_id=acc["id"])
    ok(client.spost(operation="delete", id=jane["id"]))
    assert related(client, acc, "Contacts") == []


# ---------------------------------------------------------------- query_related quirks


def test_query_related_quirks(client: WsClient) -> None:
    acc = account(client)
    jane = contact(client, "Roe", account_id=acc["id"])
    contact(client, "Doe", account_id=acc["id"])

    def query_related(query: str, label: str = "Contacts", record: dict[str, Any] = acc) -> Any:
        return client.sget(operation="query_related", query=query, id=record["id"], relatedLabel=label)

    assert error(query_related("select * from Contacts;")) == RELATION_INCORRECT
    assert error(query_related("select * from Leads")) == RELATION_INCORRECT
    assert error(query_related("select * from Contacts", label="contacts")) == RELATION_INCORRECT
    rows = ok(query_related("select lastname from Contacts WHERE lastname = 'Roe'"))
    assert rows == [{"lastname": "Roe", "id": jane["id"]}]
    for broken in (
        "select lastname from Contacts where lastname = 'Roe'",
        "select lastname from Contacts limit 1",
    ):
        code, message = error(query_related(broken))
        assert code == "QUERY_SYNTAX_ERROR" and "Unexpected WHERE(WHERE)" in message
    # No related records: the query is not even parsed.
    assert ok(query_related("select lastname from Contacts limit 1", record=account(client, "Empty"))) == []


def test_query_related_id_errors(client: WsClient) -> None:
    acc = account(client)
    for name in ("query_related_missing_id", "query_related_via_POST", "retrieve_related_via_POST"):
        exchange = recorded(name)
        assert client.send_recorded(exchange).json() == exchange["response_json"]
    missing = client.sget(
        operation="retrieve_related", id="11x999999", relatedType="Contacts", relatedLabel="Contacts"
    )
    assert error(missing) == ("ACCESS_DENIED", "Permission to perform the operation is denied for name : ")
    no_label = client.sget(operation="retrieve_related", id=acc["id"], relatedType="Contacts")
    assert error(no_label) == RELATION_INCORRECT


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("select * from Contacts", "select * from Contacts WHERE id IN ('12x5','12x7');"),
        (
            "select a from Contacts WHERE b = 1 order by a",
            "select a from Contacts  WHERE id IN ('12x5','12x7') AND  b = 1 order by a;",
        ),
        (
            "select a from Contacts where b = 1",
            "select a from Contacts where b = 1 WHERE id IN ('12x5','12x7') AND ;",
        ),
        ("WHERE x", "WHERE x WHERE id IN ('12x5','12x7');"),
    ],
)
def test_inject_ids_rewrites_like_query_related(crm: CRM, query: str, expected: str) -> None:
    assert inject_ids(query, crm.modules["Contacts"], [5, 7]) == expected


# ---------------------------------------------------------------- add_related


def test_add_related_links_once_and_stamps_the_source(client: WsClient, crm: CRM) -> None:
    acc = account(client)
    doc = document(client)
    crm.clock.advance(30)
    assert ok(add(client, acc, doc, "Documents")) == {"message": "successfull"}
    assert ok(add(client, acc, doc, "Documents")) == {"message": "successfull"}
    assert related(client, acc, "Documents") == [doc["id"]]
    rel = crm.db.crmentityrel
    with crm.db.transaction() as conn:
        assert len(conn.execute(rel.select()).all()) == 1
    again = ok(client.sget(operation="retrieve", id=acc["id"]))
    assert again["modifiedtime"] == format_epoch(START_EPOCH + 30)


def test_add_related_is_read_back_from_both_sides_of_a_shared_store(client: WsClient) -> None:
    acc = account(client)
    product = client.create("Products", {"productname": "Gadget", "assigned_user_id": "19x1"})
    ok(add(client, product, acc))  # no label: the first relation between the modules
    assert related(client, product, "Accounts") == [acc["id"]]
    assert related(client, acc, "Products") == [product["id"]]


def test_product_bundles_have_a_direction(client: WsClient) -> None:
    parent = client.create("Products", {"productname": "Kit", "assigned_user_id": "19x1"})
    part = client.create("Products", {"productname": "Part", "assigned_user_id": "19x1"})
    ok(add(client, parent, part, "Product Bundles"))
    assert related(client, parent, "Products", "Product Bundles") == [part["id"]]
    assert related(client, part, "Products", "Parent Product") == [parent["id"]]
    assert related(client, parent, "Products", "Parent Product") == []


def test_links_written_where_no_list_reads_stay_invisible(client: WsClient) -> None:
    # Documents has no save_related_module of its own: its links go to crmentityrel, while both
    # Documents' and Accounts' lists read senotesrel.
    acc = account(client)
    doc = document(client)
    ok(add(client, doc, acc, "Accounts"))
    assert related(client, doc, "Accounts") == []
    assert related(client, acc, "Documents") == []


def test_add_related_without_a_relation_adds_nothing(client: WsClient, crm: CRM) -> None:
    acc = account(client)
    doc = document(client)
    assert ok(add(client, acc, doc, "Nope")) == {"message": "successfull"}
    assert ok(add(client, acc, {"id": "20x2"})) == {"message": "successfull"}  # Groups: no module model
    assert related(client, acc, "Documents") == []
    # A numeric label is a relation id, which 8.2.0 drops: any relation between the modules will do.
    ok(add(client, acc, doc, "12345"))
    assert related(client, acc, "Documents") == [doc["id"]]


def test_add_related_failures_are_internal_errors(client: WsClient) -> None:
    doc = document(client)
    assert error(add(client, {"id": "11x999999"}, doc, "Documents")) == INTERNAL
    assert error(add(client, {"id": "99x1"}, doc)) == INTERNAL  # record 1 is no CRM record
    acc = account(client)
    assert error(add(client, acc, {"id": "99x5"})) == INTERNAL  # unknown prefix
    via_get = client.sget(operation="add_related", sourceRecordId=acc["id"], relatedRecordId=doc["id"])
    assert error(via_get) == INTERNAL


def test_vendors_set_the_products_vendor(client: WsClient, crm: CRM) -> None:
    vendor = client.create("Vendors", {"vendorname": "Supplier", "assigned_user_id": "19x1"})
    product = client.create("Products", {"productname": "Gadget", "assigned_user_id": "19x1"})
    ok(add(client, vendor, product, "Products"))
    assert ok(client.sget(operation="retrieve", id=product["id"]))["vendor_id"] == vendor["id"]
    assert related(client, vendor, "Products") == [product["id"]]


def test_the_relation_model_is_loaded_from_the_profile(crm: CRM) -> None:
    on_disk = json.loads((crm.profile.directory / RELATIONS_FILE).read_text())["relations"]
    assert on_disk and len(crm.relations.model.relations) == len(on_disk)
