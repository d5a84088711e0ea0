"""Inventory records (Quotes, SalesOrder, PurchaseOrder, Invoice): line items, totals, stock, the
answer shapes of create / update / revise / retrieve, LineItem queries and retrieve_inventory.

Mostly at the state layer (crm.records, one write transaction per call, acting as the admin, whose
currency decimals are 0); query and retrieve_inventory through the app.  The recorded exchanges are
checked field by field by the replay; these tests pin the rules behind them."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from sqlalchemy.engine import Connection

from tests.conftest import WsClient, ok
from vtiger_mock.crm.inventory import format_decimal, number_format, php_number
from vtiger_mock.crm.records import Actor
from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol.errors import WebServiceError

FINAL = "LineItems_FinalDetails"


class Store:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def _run(self, fn: Any) -> Any:
        with self.crm.db.transaction("write") as conn:
            actor = self.crm.auth.actor(conn, 1)
            assert actor is not None
            return fn(conn, actor)

    def create(self, module: str, element: Any) -> dict[str, Any]:
        return self._run(lambda c, a: self.crm.records.create(c, self.crm.modules[module], element, a))  # type: ignore[no-any-return]

    def update(self, element: Any, mode: Literal["update", "revise"] = "update") -> dict[str, Any]:
        return self._run(lambda c, a: self.crm.records.update(c, element, a, mode))  # type: ignore[no-any-return]

    def revise(self, element: Any) -> dict[str, Any]:
        return self.update(element, "revise")

    def retrieve(self, ws_id: str) -> dict[str, Any]:
        def go(conn: Connection, actor: Actor) -> dict[str, Any]:
            module, record_id = self.crm.records.locate(conn, ws_id)
            return self.crm.records.retrieve(conn, module, record_id, actor)

        return self._run(go)  # type: ignore[no-any-return]

    def delete(self, ws_id: str) -> None:
        self._run(lambda c, a: self.crm.records.delete(c, ws_id, a))

    def stock(self, ws_id: str) -> str:
        return str(self.retrieve(ws_id)["qtyinstock"])


@pytest.fixture
def store(crm: CRM) -> Store:
    return Store(crm)


@pytest.fixture
def ids(store: Store) -> dict[str, str]:
    """An account, two products (100 and 0 in stock) and a service, like the recorded session."""
    account = store.create("Accounts", {"accountname": "Acme", "assigned_user_id": "19x1"})
    widget = store.create(
        "Products",
        {"productname": "Widget", "unit_price": "19.99", "qtyinstock": "100", "assigned_user_id": "19x1"},
    )
    gadget = store.create(
        "Products", {"productname": "Gadget", "unit_price": "5", "assigned_user_id": "19x1"}
    )
    plan = store.create(
        "Services", {"servicename": "Support Plan", "unit_price": "99", "assigned_user_id": "19x1"}
    )
    return {"account": account["id"], "widget": widget["id"], "gadget": gadget["id"], "plan": plan["id"]}


def header(ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "productid": ids["widget"],
        "subject": "Doc 1",
        "account_id": ids["account"],
        "bill_street": "1 Main St",
        "ship_street": "1 Main St",
        "assigned_user_id": "19x1",
        **extra,
    }


def two_lines(ids: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"productid": ids["widget"], "listprice": "19.99", "quantity": "2", "comment": "two widgets"},
        {"productid": ids["plan"], "listprice": "99", "quantity": "1"},
    ]


def invoice(store: Store, ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    element = header(ids, invoicestatus="Created", **extra)
    element.setdefault("LineItems", two_lines(ids))
    return store.create("Invoice", element)


# ---------------------------------------------------------------------------------------- create


def test_create_computes_totals_and_answers_numbers(store: Store, ids: dict[str, str]) -> None:
    quote = store.create("Quotes", header(ids, quotestage="Created", LineItems=two_lines(ids)))
    # 2 x 19.99 + 99; PHP floats printed by 8.2.0's encoder as JSON numbers
    assert (quote["hdnSubTotal"], quote["hdnGrandTotal"], quote["pre_tax_total"]) == (138.98, 138.98, 138.98)
    assert list(quote)[:1] == ["id"] and list(quote)[-4:] == ["LineItems", "productid", FINAL, "new"]
    assert quote["new"] is True and quote["productid"] is None
    assert quote["label"] == "Doc 1"
    # the parent was cached before its lines existed: details of an empty record
    final = quote[FINAL]["1"]["final_details"]
    assert (final["hdnSubTotal"], final["grandTotal"]) == ("0", "0")


def test_create_lines_get_ids_sequence_and_the_parent_quirk(store: Store, ids: dict[str, str]) -> None:
    quote = store.create("Quotes", header(ids, quotestage="Created", LineItems=two_lines(ids)))
    first, second = quote["LineItems"]
    assert (first["id"], second["id"]) == ("33x1", "33x2")
    assert (first["sequence_no"], second["sequence_no"]) == ("1", "2")
    assert first["parent_id"] == "4xArray"  # getAllLineItemForParent() passes an array
    assert (first["quantity"], first["listprice"], first["comment"]) == (
        "2.000",
        "19.99000000",
        "two widgets",
    )
    assert (first["product_name"], first["entity_type"], first["deleted"]) == ("Widget", "Products", "0")
    assert (second["product_name"], second["entity_type"]) == ("Support Plan", "Services")
    assert first["incrementondel"] == "0"  # only invoices hold stock


def test_create_requires_line_items_and_the_header_product(store: Store, ids: dict[str, str]) -> None:
    with pytest.raises(WebServiceError) as missing:
        store.create("Invoice", header(ids, invoicestatus="Created"))
    assert (missing.value.code, missing.value.message) == (
        "MANDATORY_FIELDS_MISSING",
        "Mandatory Fields Missing..",
    )
    element = header(ids, invoicestatus="Created", LineItems=two_lines(ids))
    del element["productid"]
    with pytest.raises(WebServiceError) as no_product:
        store.create("Invoice", element)
    assert no_product.value.message == "productid does not have a value"


def test_line_without_list_price_takes_the_product_price(store: Store, ids: dict[str, str]) -> None:
    lines = [{"productid": ids["gadget"], "quantity": "3"}, {"productid": ids["plan"], "quantity": "1"}]
    quote = store.create("Quotes", header(ids, quotestage="Created", LineItems=lines))
    # getProductPrice() reads vtiger_products only: a service line without a price is 0
    assert [line["listprice"] for line in quote["LineItems"]] == ["5.00000000", "0.00000000"]
    assert quote["hdnSubTotal"] == 15


def test_unknown_product_is_stored_but_prints_empty(store: Store, ids: dict[str, str]) -> None:
    bad = [{"productid": "14x999999", "listprice": "1", "quantity": "1"}]
    quote = store.create("Quotes", header(ids, quotestage="Created", LineItems=bad))
    line = quote["LineItems"][0]
    assert line["productid"] == "" and line["product_name"] is None and line["entity_type"] is None
    assert line["deleted"] is None and quote["hdnGrandTotal"] == 1


def test_discounts_group_taxes_shipping_and_adjustment(store: Store, ids: dict[str, str]) -> None:
    lines = [
        {"productid": ids["gadget"], "listprice": "20", "quantity": "3", "discount_amount": "2", "tax1": "5"}
    ]
    order = store.create(
        "SalesOrder",
        header(
            ids,
            sostatus="Created",
            invoicestatus="Created",
            hdnDiscountPercent="10",
            txtAdjustment="-5",
            hdnS_H_Amount="10",
            LineItems=lines,
        ),
    )
    # line 60 - 2 = 58; header discount 10 % = 5.8; shipping 10; group tax 5 % of 52.2 (the
    # percentages of the first line sent); adjustment -5
    assert order["hdnSubTotal"] == 58
    assert order["pre_tax_total"] == pytest.approx(62.2)
    assert order["hdnGrandTotal"] == pytest.approx(62.2 + 2.61 - 5)
    assert order["shipping_&_handling"] == "10"  # the client's raw value, as JSON
    assert order["LineItems"][0]["tax1"] == "5.000"


# ---------------------------------------------------------------------------------------- retrieve / query


def test_retrieve_prints_lines_first_product_and_final_details(store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids, hdnTaxType="individual")
    record = store.retrieve(created["id"])
    assert (record["hdnSubTotal"], record["hdnGrandTotal"]) == ("138.98000000", "138.98000000")
    assert record["productid"] == ids["widget"]  # the first line's product
    assert list(record)[-3:] == ["LineItems", "productid", FINAL]
    assert record["shipping_&_handling"] is None and record["shipping_&_handling_shtax1"] == 0
    details = record[FINAL]
    assert list(details) == ["1", "2"]
    # formatted with the admin's 0 currency decimals
    assert (details["1"]["listPrice1"], details["1"]["productTotal1"], details["1"]["qtyInStock1"]) == (
        "20",
        "40",
        "98",
    )
    assert details["2"]["qtyInStock2"] == "NA" and details["2"]["delRow2"] == "Del"
    final = details["1"]["final_details"]
    assert (final["taxtype"], final["hdnSubTotal"], final["grandTotal"]) == ("individual", "139", "139")
    assert [t["amount"] for t in final["taxes"].values()] == ["6", "14", "17"]
    assert final["tax_totalamount"] == "37"


def test_tax_amount_rounding_quirk_gives_a_number(store: Store, ids: dict[str, str]) -> None:
    lines = [{"productid": ids["gadget"], "listprice": "5", "quantity": "3"}]
    created = store.create(
        "SalesOrder", header(ids, sostatus="Created", invoicestatus="Created", LineItems=lines)
    )
    taxes = store.retrieve(created["id"])[FINAL]["1"]["final_details"]["taxes"]
    # 15 x 10 % = 1.5: round() when the dropped digit is a 5 (a number), number_format() otherwise
    assert [t["amount"] for t in taxes.values()] == ["1", 2, "2"]


def test_purchase_order_details_have_no_stock_column(store: Store, ids: dict[str, str]) -> None:
    vendor = store.create("Vendors", {"vendorname": "Supplies Inc", "assigned_user_id": "19x1"})
    element = header(ids, postatus="Created", vendor_id=vendor["id"], LineItems=two_lines(ids))
    del element["account_id"]
    order = store.create("PurchaseOrder", element)
    assert "qtyInStock1" not in store.retrieve(order["id"])[FINAL]["1"]


def test_query_prints_the_last_lines_columns(ws: WsClient, store: Store, ids: dict[str, str]) -> None:
    store.create("Quotes", header(ids, quotestage="Created", LineItems=two_lines(ids)))
    ws.login()
    (row,) = ok(ws.sget(operation="query", query="select * from Quotes;"))
    assert (row["productid"], row["quantity"], row["listprice"]) == (ids["plan"], "1.000", "99.00000000")
    assert (row["discount_percent"], row["tax1"], row["hdnSubTotal"]) == ("0.000", "0.000", "138.98000000")
    assert "LineItems" not in row


def test_line_item_query(ws: WsClient, store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    store.create(
        "Quotes", header(ids, quotestage="Created", LineItems=[{"productid": ids["gadget"], "quantity": "1"}])
    )
    ws.login()
    everything = ok(ws.sget(operation="query", query="select * from LineItem;"))
    assert [r["id"] for r in everything] == ["33x1", "33x2", "33x3"]
    mine = ok(
        ws.sget(operation="query", query=f"select * from LineItem where parent_id = '{created['id']}';")
    )
    assert [r["parent_id"] for r in mine] == [created["id"], created["id"]]
    assert [r["incrementondel"] for r in mine] == ["1", "1"]
    assert list(mine[0])[:3] == ["parent_id", "productid", "sequence_no"]


def test_retrieve_inventory_through_the_app(ws: WsClient, store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    ws.login()
    record = ok(ws.sget(operation="retrieve_inventory", id=created["id"]))
    assert record == ok(ws.sget(operation="retrieve", id=created["id"]))
    assert [line["id"] for line in record["LineItems"]] == ["33x1", "33x2"]
    # any record: its (absent) line items
    assert ok(ws.sget(operation="retrieve_inventory", id=ids["account"]))["LineItems"] == []
    # errors are retrieve's
    missing = ws.sget(operation="retrieve_inventory", id="7x999").json()
    assert missing == ws.sget(operation="retrieve", id="7x999").json() and missing["success"] is False


# ---------------------------------------------------------------------------------------- update / revise


def test_revise_with_lines_replaces_them(store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids, hdnTaxType="individual", currency_id="21x1")
    revised = store.revise(
        {"id": created["id"], "LineItems": [{"productid": ids["gadget"], "listprice": "5", "quantity": "3"}]}
    )
    # array_merge($element, $parent): the element's keys first, the sanitizer's conversion_rate next
    assert list(revised)[:3] == ["id", "conversion_rate", "subject"]
    assert revised["hdnSubTotal"] == 15 and revised["hdnTaxType"] == ""  # tax type not resent: reset
    assert [line["id"] for line in revised["LineItems"]] == ["33x3"]  # ids are never reused
    assert "new" not in revised and revised["productid"] is None
    record = store.retrieve(created["id"])
    assert record["currency_id"] == "21x1" and record["productid"] == ids["gadget"]
    assert record["balance"] == "138.98000000"  # revise does not recompute the balance


def test_update_with_lines_replaces_them_but_answers_none(store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    element = header(
        ids,
        id=created["id"],
        invoicestatus="Created",
        LineItems=[{"productid": ids["gadget"], "quantity": "1"}],
    )
    updated = store.update(element)
    # update() never refreshes its cached parent: no lines in the answer, the new ones in the record
    assert updated["LineItems"] == [] and updated["hdnGrandTotal"] == 5
    record = store.retrieve(created["id"])
    assert [line["productid"] for line in record["LineItems"]] == [ids["gadget"]]
    assert record["balance"] == "5.00000000"  # update recomputes the balance


@pytest.mark.parametrize("mode", ["update", "revise"])
def test_without_line_items_the_lines_are_kept(
    store: Store, ids: dict[str, str], mode: Literal["update", "revise"]
) -> None:
    created = invoice(store, ids, hdnTaxType="group")
    element = header(ids, id=created["id"], invoicestatus="Created", subject="Renamed")
    if mode == "revise":
        element = {"id": created["id"], "subject": "Renamed", "LineItems": []}
    answer = store.update(element, mode)
    assert [line["id"] for line in answer["LineItems"]] == ["33x1", "33x2"]
    assert FINAL not in answer and answer["hdnTaxType"] == "group"
    record = store.retrieve(created["id"])
    assert record["subject"] == "Renamed" and record["hdnSubTotal"] == "138.98000000"
    assert store.stock(ids["widget"]) == "98.000"


# ---------------------------------------------------------------------------------------- side effects


def test_invoice_lines_move_stock(store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    assert store.stock(ids["widget"]) == "98.000"
    store.revise(
        {"id": created["id"], "LineItems": [{"productid": ids["gadget"], "listprice": "5", "quantity": "3"}]}
    )
    # the removed 2 widgets come back twice (8.2.0's after-save workflow re-reads a stale list)
    assert (store.stock(ids["widget"]), store.stock(ids["gadget"])) == ("102.000", "-3.000")
    store.delete(created["id"])
    assert store.stock(ids["gadget"]) == "0.000"


@pytest.mark.parametrize("module", ["Quotes", "SalesOrder", "PurchaseOrder"])
def test_other_documents_hold_no_stock(store: Store, ids: dict[str, str], module: str) -> None:
    extra: dict[str, Any] = {"quotestage": "Created", "sostatus": "Created", "invoicestatus": "Created"}
    extra["postatus"] = "Created"
    if module == "PurchaseOrder":
        extra["vendor_id"] = store.create("Vendors", {"vendorname": "V", "assigned_user_id": "19x1"})["id"]
    created = store.create(module, header(ids, LineItems=two_lines(ids), **extra))
    assert store.stock(ids["widget"]) == "100.000"
    assert [line["incrementondel"] for line in created["LineItems"]] == ["0", "0"]


def test_cancelling_an_invoice_returns_its_stock(store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    cancelled = store.revise({"id": created["id"], "invoicestatus": "Cancel"})
    assert store.stock(ids["widget"]) == "100.000"
    assert [line["incrementondel"] for line in cancelled["LineItems"]] == ["0", "0"]
    store.revise({"id": created["id"], "invoicestatus": "Created"})
    assert store.stock(ids["widget"]) == "98.000"


def test_balance_after_create(store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    assert created["balance"] == "0.00000000"  # the answer is the snapshot taken before the handler
    assert store.retrieve(created["id"])["balance"] == "138.98000000"


def test_sales_order_recurring_fields_are_dropped_after_the_save(store: Store, ids: dict[str, str]) -> None:
    created = store.create(
        "SalesOrder", header(ids, sostatus="Created", invoicestatus="AutoCreated", LineItems=two_lines(ids))
    )
    assert created["invoicestatus"] == "AutoCreated"
    assert store.retrieve(created["id"])["invoicestatus"] == ""


def test_deleting_a_document_deletes_its_lines(ws: WsClient, store: Store, ids: dict[str, str]) -> None:
    created = invoice(store, ids)
    store.delete(created["id"])
    ws.login()
    assert ok(ws.sget(operation="query", query="select * from LineItem;")) == []


# ---------------------------------------------------------------------------------------- PHP formatting


def test_php_formatting_helpers() -> None:
    assert [number_format(x, 0) for x in (138.98, 39.98, 0.5, 1.5, "19.99000000", None)] == [
        "139",
        "40",
        "1",
        "2",
        "20",
        "0",
    ]
    assert number_format(1.005, 2) == "1.01"
    assert [php_number(x) for x in (15.0, 138.98, 0.1 + 0.2)] == [15, 138.98, 0.3]
    assert json.dumps(php_number(15.0)) == "15"
    assert [format_decimal(x) for x in ("98.000", "-3.000", "2.500", "NA", "0.000", None)] == [
        "98",
        "-3",
        "2.5",
        "NA",
        "0",
        "",
    ]


@pytest.mark.parametrize("module", ["Quotes", "SalesOrder", "PurchaseOrder", "Invoice"])
def test_recorded_create_order_is_id_then_retrieve_order_then_new(crm: CRM, module: str) -> None:
    # array_merge(['id' => ...], $parent) + 'new': the server derives it from retrieveOrder
    data = json.loads((crm.profile.directory / "modules" / f"{module}.json").read_text(encoding="utf-8"))
    retrieve_order = [k for k in data["retrieveOrder"] if k != "id"]
    assert data["createOrder"] == ["id", *retrieve_order, "new"]
