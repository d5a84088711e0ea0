"""Inventory records (Quotes, SalesOrder, PurchaseOrder, Invoice): line items, totals, stock, and the
shapes VtigerInventoryOperation gives its answers.

Line items are rows of the LineItem module's table (ids 33x<n> from their own counter, never reused).
RecordStore calls in at a few points, for modules whose `is_inventory` is true:

- `normalise_header`: what 8.2.0's sanitize steps and saveInventoryProductDetails() do to a header
  about to be saved (tax type, conversion rate, charges, totals reset when line items come along);
- `after_save`: line items replaced when the element carries `LineItems`, totals recomputed, stock,
  balance and recurring-invoice side effects, and the answer in the shape 8.2.0 gives it;
- `before_delete`: the line items go and give their stock back;
- `retrieved`: `LineItems`, `productid` and `LineItems_FinalDetails` added to a retrieve result.

The recordings (shared/reference/real-vtiger-8.2) are the oracle; where they are silent the behaviour
follows 8.2.0's include/Webservices/LineItem/*.php, include/utils/InventoryUtils.php and
getAssociatedProducts() / Inventory_Record_Model::getProducts().  What differs between modules comes
from field `special` tags (fixtures/README.md): stockQuantity, stockStatus, balanceDue, amountPaid,
recurringSwitch, recurringInfo, lineItemColumn, inventoryCharges.

Known simplifications: products carry no tax relations (ProductTaxes), so "individual" taxes are
never added; compound and deducted taxes, sub-products, inactive taxes and currency conversion are
not modelled; a percent charge is kept as its amount; the shipping taxes are taken to be the item
taxes (same ids and labels, as in a fresh install).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.database import DELETED
from vtiger_mock.crm.schema import FieldMeta, ModuleMeta
from vtiger_mock.crm.values import leading_int, mysql_number, php_string, split_ws_id, to_output, to_stored

if TYPE_CHECKING:
    from vtiger_mock.crm.records import Actor, RecordStore, WriteMode

Row = dict[str, Any]

LINE_ITEMS = "LineItems"
FINAL_DETAILS = "LineItems_FinalDetails"
PRODUCT = "productid"
# InventoryUtils.php compares the invoice status with this literal: a cancelled invoice holds no stock.
CANCELLED = "Cancel"
# getAssociatedProducts() leaves the stock column out for purchase orders (a module-name test in PHP).
_DETAILS_WITHOUT_STOCK = frozenset({"PurchaseOrder"})

# Header fields every inventory module has under these names (VtigerInventoryOperation reads them so).
SUB_TOTAL = "hdnSubTotal"
GRAND_TOTAL = "hdnGrandTotal"
PRE_TAX_TOTAL = "pre_tax_total"
TAX_TYPE = "hdnTaxType"
DISCOUNT_PERCENT = "hdnDiscountPercent"
DISCOUNT_AMOUNT = "hdnDiscountAmount"
SH_AMOUNT = "hdnS_H_Amount"
SH_PERCENT = "hdnS_H_Percent"
ADJUSTMENT = "txtAdjustment"
CONVERSION_RATE = "conversion_rate"
UNIT_PRICE = "unit_price"
START_PERIOD = "start_period"
LAST_RECURRING = "last_recurring_date"

# Line item columns the server fills itself.
_PARENT = "parent_id"
_SEQUENCE = "sequence_no"
_INCREMENT_ON_DEL = "incrementondel"
_QUANTITY = "quantity"
_LIST_PRICE = "listprice"

_TAX_COLUMN = re.compile(r"^tax\d+$")
_CHARGE_TAX = re.compile(r"^(?P<charge>.+)_shtax(?P<id>\d+)$")
_LINE_COUNTER = "LineItem"
_MANAGED = ("lineItemColumn", "inventoryCharges")


# ------------------------------------------------------------------------------------ PHP arithmetic


def _num(value: Any) -> float:
    """A value as PHP reads it in arithmetic: "19.99000000" → 19.99; "", None, "NA" → 0."""
    number = mysql_number(value)
    return 0.0 if number is None else number


def _empty(value: Any) -> bool:
    """PHP's empty()."""
    if isinstance(value, (list, dict)):
        return not value
    return value is None or value is False or value == "" or value == "0" or value == 0


def _rounded(number: float, decimals: int) -> Decimal:
    try:
        return Decimal(repr(float(number))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return Decimal(0)


def number_format(value: Any, decimals: int) -> str:
    """PHP number_format($value, $decimals, '.', '')."""
    return format(_rounded(_num(value), decimals), "f")


def _float_text(number: float) -> str:
    """PHP's (string) of a float: 14 significant digits, no trailing ".0"."""
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.14G}"


def php_number(number: float) -> int | float:
    """A PHP float as 8.2.0's JSON encoder writes it ((string)$value): 15.0 → 15, 138.98 → 138.98."""
    value = float(_float_text(number))
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def format_decimal(value: Any) -> str:
    """Vtiger_Functions::formatDecimal: trailing zeros after the point dropped ("98.000" → "98")."""
    text = "" if value is None else str(value)
    if text.find(".") > 0:
        text = text.rstrip("0")
    return text.rstrip(".")


def _tax_amount(amount: float, decimals: int) -> str | int | float:
    """getAssociatedProducts(): round() (a number) when the digit after the kept ones is a 5,
    number_format() (a string) otherwise - hence the "amount": 2 among "amount": "1" in retrieve."""
    after = _float_text(amount).partition(".")[2]
    if len(after) > decimals and after[decimals] == "5":
        return php_number(float(_rounded(amount, decimals)))
    return number_format(amount, decimals)


def _changed(old: Any, new: Any) -> bool:
    """VTEntityDelta::computeDelta's notion of a changed value."""
    return not _empty(new) if _empty(old) else old != new


def _json_text(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def requested_lines(element: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The element's line items, or None when it carries none (PHP empty(): absent, null, [], "")."""
    raw = element.get(LINE_ITEMS)
    if _empty(raw):
        return None
    entries: Iterable[Any] = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    return [dict(e) if isinstance(e, dict) else {} for e in entries]


def _reference_id(value: Any) -> int | None:
    """A line item's reference as DataTransform stores it: the id part of "14x12"."""
    text = php_string(value)
    return leading_int(split_ws_id(text)[1]) if "x" in text else leading_int(text)


@dataclass(frozen=True)
class _Product:
    """What getAssociatedProducts() reads about a line's product (Products first, else Services)."""

    entity_type: str
    name: str | None
    code: str | None
    unit_price: Any
    qty_in_stock: str
    deleted: Any  # vtiger_crmentity.deleted, None without an entity row
    subproducts: bool  # vtiger_products.is_subproducts_viewable (1 for products, NULL for services)


@dataclass(frozen=True)
class _Totals:
    sub_total: float
    grand_total: float
    pre_tax_total: float


class Inventory:
    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.db = store.db
        modules = list(store.modules)
        self._line_module = next((m for m in modules if m.kind == "lineitem"), None)
        self._tax_module = next((m for m in modules if m.handler == "VtigerTaxOperation"), None)
        line_product = self._line_module.field(PRODUCT) if self._line_module is not None else None
        targets = line_product.refers_to if line_product is not None else ()
        self._product_modules = [m for name in targets if (m := store.modules.get(name)) is not None]
        self._stock = next(((m, f) for m in modules for f in m.fields if f.special == "stockQuantity"), None)

    @property
    def line_module(self) -> ModuleMeta:
        if self._line_module is None:
            raise RuntimeError("the profile has inventory modules but no LineItem (kind lineitem) module")
        return self._line_module

    @property
    def line_table(self) -> sa.Table:
        return self.db.table_for(self.line_module)

    # ================================================================================ hooks

    def normalise_header(self, module: ModuleMeta, element: Mapping[str, Any], values: Row) -> None:
        """Header values (by column) about to be saved, as VtigerInventoryOperation leaves them."""
        for f in module.fields:
            if f.special in _MANAGED:  # kept from the line items / charges, never from the client
                values.pop(f.col, None)
        if _empty(element.get(CONVERSION_RATE)):
            _put(module, values, CONVERSION_RATE, 1.0)  # sanitizeInventoryForInsert()
        if requested_lines(element) is None:
            return  # saved like a detail-view edit: nothing below happens
        # saveInventoryProductDetails() writes these from $_REQUEST, which only carries what was sent.
        tax_type = element.get(TAX_TYPE)
        _put(module, values, TAX_TYPE, None if _empty(tax_type) else php_string(tax_type))
        for name in (SUB_TOTAL, GRAND_TOTAL):
            if _empty(element.get(name)):
                _put(module, values, name, 0.0)
        _put(module, values, PRE_TAX_TOTAL, 0.0)
        if _num(element.get(DISCOUNT_AMOUNT)) and element.get(DISCOUNT_AMOUNT) != "":
            _put(module, values, DISCOUNT_PERCENT, None)
        elif _num(element.get(DISCOUNT_PERCENT)) and element.get(DISCOUNT_PERCENT) != "":
            _put(module, values, DISCOUNT_AMOUNT, None)
        if not _num(element.get(ADJUSTMENT)):
            _put(module, values, ADJUSTMENT, 0.0)
        self._store_charges(module, element, values)

    def after_save(
        self,
        conn: Connection,
        module: ModuleMeta,
        record_id: int,
        element: Mapping[str, Any],
        actor: Actor,
        mode: WriteMode,
        before: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Everything after the header row is saved; returns the answer of create/update/revise."""
        items = requested_lines(element)
        status_field = _tagged(module, "stockStatus")
        status_before = before.get(status_field.col) if before is not None and status_field else None
        if items is None:
            return self._saved_without_lines(conn, module, record_id, element, status_before)
        returned = self._drop_lines(conn, record_id)
        # VtigerLineItemOperation caches the parent the first time it reads it: before any new line
        # exists.  Create and revise answers are that snapshot plus the fresh totals and lines.
        header = self._header(conn, module, record_id)
        parent = self._parent(conn, module, header, actor.currency_decimals)
        self._insert_lines(conn, record_id, items)
        status = header.get(status_field.col) if status_field else None
        if status_field is not None:
            # setLineItems(): the old lines' stock back, the new lines' stock taken.
            self._give_back(conn, returned)
            if status != CANCELLED:
                self._take_stock(conn, record_id)
        totals = self._update_totals(conn, module, record_id, items)
        lines = self.line_items(conn, module, record_id)
        if status_field is not None:
            # The after-save workflow runs updateInventoryProductRel() again with the same (never
            # cleared) list of old lines: they are given back twice (revise_Invoice_LineItems: +4).
            self._give_back(conn, returned)
            if mode != "create" and _changed(status_before, status):
                self._status_changed(conn, record_id, status, status_before, returned)
        if mode != "revise":  # InvoiceHandler only acts when $currentModule is set: create and update
            self._update_balance(conn, module, record_id)
        self._recurring(conn, module, record_id)

        parent[SUB_TOTAL] = php_number(totals.sub_total)
        parent[GRAND_TOTAL] = php_number(totals.grand_total)
        parent[PRE_TAX_TOTAL] = php_number(totals.pre_tax_total)
        if mode == "create":
            parent[LINE_ITEMS] = lines
            return {"id": parent["id"], **parent, "new": True}
        if mode == "revise":
            parent[LINE_ITEMS] = lines
            return _merged(element, parent, drop=(LINE_ITEMS,))
        # update() never refreshes the cached parent: its answer lists the lines as they were when
        # it was cached, i.e. none.
        return parent

    def load_lines(
        self, conn: Connection, module: ModuleMeta, record_id: int, items: Sequence[Mapping[str, Any]]
    ) -> None:
        """Fixture loading: store a record's lines (create format) and its totals.  Stock is left
        alone: a fixture describes a state, not the sales that led to it."""
        self._insert_lines(conn, record_id, [dict(item) for item in items])
        self._update_totals(conn, module, record_id, items)

    def before_delete(self, conn: Connection, record_id: int) -> None:
        """cleanLineItemList(): the lines go; those holding stock give it back."""
        self._give_back(conn, self._drop_lines(conn, record_id))

    def retrieved(
        self,
        conn: Connection,
        module: ModuleMeta,
        row: Mapping[str, Any],
        record: dict[str, Any],
        decimals: int,
    ) -> dict[str, Any]:
        """A printed header (retrieve) completed with its line items and final details."""
        line_rows = self._line_rows(conn, int(row["crmid"]))
        lines = self._print_lines(conn, module, line_rows)
        record[LINE_ITEMS] = lines
        record[PRODUCT] = lines[0][PRODUCT] if lines else None
        record[FINAL_DETAILS] = self._final_details(conn, module, row, line_rows, decimals)
        return _ordered(record, module.retrieve_order)

    def line_items(self, conn: Connection, module: ModuleMeta, record_id: int) -> list[dict[str, Any]]:
        """getAllLineItemForParent(): the record's lines as retrieve prints them."""
        return self._print_lines(conn, module, self._line_rows(conn, record_id))

    def next_line_id(self, conn: Connection) -> int:
        current = conn.execute(sa.select(sa.func.max(self.line_table.c.crmid))).scalar()
        return self.store.sequences.next_counter(conn, _LINE_COUNTER, floor=int(current or 0))

    # ================================================================================ line items

    def _line_rows(self, conn: Connection, record_id: int) -> list[Row]:
        t = self.line_table
        parent = t.c[self.line_module.by_name[_PARENT].col]
        query = sa.select(t).where(parent == record_id, t.c[DELETED] == 0).order_by(t.c.crmid)
        return [dict(r) for r in conn.execute(query).mappings()]

    def _drop_lines(self, conn: Connection, record_id: int) -> list[tuple[Any, float]]:
        """deleteInventoryProductDetails(): delete the lines; (product, quantity) of those holding stock."""
        lm = self.line_module
        returned = [
            (r[lm.by_name[PRODUCT].col], _num(r[lm.by_name[_QUANTITY].col]))
            for r in self._line_rows(conn, record_id)
            if r[lm.by_name[_INCREMENT_ON_DEL].col]
        ]
        t = self.line_table
        conn.execute(t.delete().where(t.c[lm.by_name[_PARENT].col] == record_id))
        return returned

    def _insert_lines(self, conn: Connection, record_id: int, items: Sequence[Mapping[str, Any]]) -> None:
        lm = self.line_module
        server_filled = {_PARENT, _SEQUENCE, _INCREMENT_ON_DEL}
        for sequence, item in enumerate(items, start=1):
            row: Row = {f.col: f.default for f in lm.fields}
            for f in lm.fields:
                if f.name in server_filled or f.name not in item:
                    continue
                raw = item[f.name]
                row[f.col] = _reference_id(raw) if f.kind == "reference" else to_stored(f, raw)
            if item.get(_LIST_PRICE) is None:
                # No list price: the product's unit price (vtiger_products only, so services get 0).
                row[lm.by_name[_LIST_PRICE].col] = self._product_price(conn, row[lm.by_name[PRODUCT].col])
            row[lm.by_name[_PARENT].col] = record_id
            row[lm.by_name[_SEQUENCE].col] = sequence
            row[lm.by_name[_INCREMENT_ON_DEL].col] = 0
            row["crmid"] = self.next_line_id(conn)
            row[DELETED] = 0
            conn.execute(self.line_table.insert().values(row))

    def _product_price(self, conn: Connection, product_id: int | None) -> float:
        if product_id is None or not self._product_modules:
            return 0.0
        products = self._product_modules[0]
        price = products.field(UNIT_PRICE)
        if price is None:
            return 0.0
        t = self.db.table_for(products)
        value = conn.execute(sa.select(t.c[price.col]).where(t.c.crmid == product_id)).scalar()
        return _num(value)

    def _print_lines(
        self, conn: Connection, parent_module: ModuleMeta, rows: Sequence[Row]
    ) -> list[dict[str, Any]]:
        lm = self.line_module
        printed = self.store.render(conn, lm, rows, fields=lm.fields, with_id=False)
        product_col = lm.by_name[PRODUCT].col
        entities = self._entities(conn, [r[product_col] for r in rows])
        out = []
        for row, line in zip(rows, printed, strict=True):
            # getAllLineItemForParent() sets parent_id to an array of ids: it prints as "<prefix>xArray".
            line[_PARENT] = f"{parent_module.id_prefix}xArray"
            line["id"] = f"{lm.id_prefix}x{row['crmid']}"
            label, setype, deleted = entities.get(row[product_col], (None, None, None))
            line["product_name"] = label
            line["entity_type"] = setype
            line["deleted"] = None if deleted is None else str(deleted)
            out.append(line)
        return out

    def _entities(self, conn: Connection, ids: Iterable[Any]) -> dict[int, tuple[str, str, int]]:
        """vtiger_crmentity label, setype and deleted of the given records (deleted ones included)."""
        wanted = {int(i) for i in ids if i is not None}
        if not wanted:
            return {}
        ent = self.db.crmentity
        found: dict[int, tuple[str, str, int]] = {}
        for crmid, setype, deleted in conn.execute(
            sa.select(ent.c.crmid, ent.c.setype, ent.c.deleted).where(ent.c.crmid.in_(wanted))
        ):
            module = self.store.modules.get(setype)
            row = self._raw_row(conn, module, crmid) if module is not None else None
            label = self.store.label_of(module, row) if module is not None and row is not None else ""
            found[int(crmid)] = (label, str(setype), int(deleted))
        return found

    def _raw_row(self, conn: Connection, module: ModuleMeta, record_id: int) -> Row | None:
        """A module row whatever its deleted flag (vtiger_products keeps the row of a deleted product)."""
        t = self.db.table_for(module)
        row = conn.execute(sa.select(t).where(t.c.crmid == record_id)).mappings().first()
        return dict(row) if row is not None else None

    # ================================================================================ header

    def _header(self, conn: Connection, module: ModuleMeta, record_id: int) -> Row:
        row = self.store.fetch_row(conn, module, record_id)
        if row is None:  # the caller has just written it
            raise RuntimeError(f"{module.name} {record_id} vanished")
        return row

    def _parent(self, conn: Connection, module: ModuleMeta, header: Row, decimals: int) -> dict[str, Any]:
        """VtigerInventoryOperation::retrieve() of the header as it is now."""
        record = self.store.render(conn, module, [header], with_label=True)[0]
        return self.retrieved(conn, module, header, record, decimals)

    def _saved_without_lines(
        self,
        conn: Connection,
        module: ModuleMeta,
        record_id: int,
        element: Mapping[str, Any],
        status_before: Any,
    ) -> dict[str, Any]:
        """revise() without LineItems (update() hands such an element to revise()): an ordinary
        save that keeps the lines; the answer is the element's keys, then the saved record and its
        lines, without charges or final details."""
        status_field = _tagged(module, "stockStatus")
        header = self._header(conn, module, record_id)
        if status_field is not None:
            status = header.get(status_field.col)
            if _changed(status_before, status):
                self._status_changed(conn, record_id, status, status_before, [])
        self._recurring(conn, module, record_id)
        header = self._header(conn, module, record_id)
        record = self.store.render(conn, module, [header], with_label=True)[0]
        skipped = {f.name for f in module.fields if f.special in _MANAGED}
        parent = {k: v for k, v in record.items() if k not in skipped}
        lines = self.line_items(conn, module, record_id)
        if PRODUCT in element:  # the saved record reads its product from the first line
            parent[PRODUCT] = lines[0][PRODUCT] if lines else None
        parent[LINE_ITEMS] = lines
        return _merged(element, parent, drop=())

    def _update_totals(
        self, conn: Connection, module: ModuleMeta, record_id: int, items: Sequence[Mapping[str, Any]]
    ) -> _Totals:
        """VtigerLineItemOperation::updateParent(): subtotal, pre-tax total and grand total from the
        lines; the header's line-item columns then show the last line (what `select *` prints)."""
        header = self._header(conn, module, record_id)
        rows = self._line_rows(conn, record_id)
        lm = self.line_module
        tax_type = header.get(_col(module, TAX_TYPE))
        individual = isinstance(tax_type, str) and tax_type.lower() == "individual"

        sub_total = 0.0
        individual_pre_tax = 0.0
        for line in rows:
            total = _num(line[lm.by_name[_LIST_PRICE].col]) * _num(line[lm.by_name[_QUANTITY].col])
            amount = _num(line[lm.by_name["discount_amount"].col])
            percent = _num(line[lm.by_name["discount_percent"].col])
            discount = amount if amount else (percent / 100 * total if percent else 0.0)
            total -= discount
            sub_total += total
            if individual:
                individual_pre_tax += total  # no product tax relations: nothing else to add
        printed = self._printer(module, header)
        if _num(printed(DISCOUNT_AMOUNT)) > 0:
            discount = _num(printed(DISCOUNT_AMOUNT))
        elif not _empty(printed(DISCOUNT_PERCENT)):
            discount = _num(printed(DISCOUNT_PERCENT)) / 100 * sub_total
        else:
            discount = 0.0
        shipping = _num(printed(SH_AMOUNT))
        total = sub_total - discount + shipping
        pre_tax_total = total
        if tax_type == "individual":  # this test is case-sensitive in PHP, the one above is not
            pre_tax_total = individual_pre_tax - discount + shipping
        tax_amount = 0.0
        if not individual:
            # Group taxes: the percentages the first line item of the request supplied.
            first = items[0] if items else {}
            for f in lm.fields:
                if _TAX_COLUMN.match(f.name) and first.get(f.name) is not None:
                    tax_amount += (sub_total - discount) * _num(first[f.name]) / 100
        charges = self._charges(module, header)
        if charges:
            for charge in charges.values():
                for percent_value in (charge.get("taxes") or {}).values():
                    tax_amount += _num(charge.get("value")) * _num(percent_value) / 100
        grand_total = total + tax_amount + _num(printed(ADJUSTMENT))

        values: Row = {}
        for name, number in (
            (SUB_TOTAL, sub_total),
            (GRAND_TOTAL, grand_total),
            (PRE_TAX_TOTAL, pre_tax_total),
        ):
            _put(
                module,
                values,
                name,
                to_stored(module.by_name[name], number) if name in module.by_name else None,
            )
        last = rows[-1] if rows else None
        for target in module.fields:
            if target.special == "lineItemColumn" and (source := lm.field(target.name)) is not None:
                values[target.col] = last[source.col] if last is not None else None
        table = self.db.table_for(module)
        conn.execute(table.update().where(table.c.crmid == record_id).values(values))
        return _Totals(sub_total, grand_total, pre_tax_total)

    def _update_balance(self, conn: Connection, module: ModuleMeta, record_id: int) -> None:
        """InvoiceHandler / PurchaseOrderHandler: balance = grand total - amount received / paid."""
        due, paid = _tagged(module, "balanceDue"), _tagged(module, "amountPaid")
        if due is None or paid is None:
            return
        printed = self._printer(module, self._header(conn, module, record_id))
        balance = _num(printed(GRAND_TOTAL)) - _num(printed(paid.name))
        table = self.db.table_for(module)
        conn.execute(
            table.update().where(table.c.crmid == record_id).values({due.col: to_stored(due, balance)})
        )

    def _recurring(self, conn: Connection, module: ModuleMeta, record_id: int) -> None:
        """RecurringInvoiceHandler after every save: without enable_recurring the recurring-invoice
        row (frequency, period, invoice status...) is deleted, so those fields print ""."""
        switch = _tagged(module, "recurringSwitch")
        if switch is None:
            return
        header = self._header(conn, module, record_id)
        info = [f for f in module.fields if f.special == "recurringInfo"]
        values: Row = {}
        if _empty(header.get(switch.col)):
            values = {f.col: None for f in info}
        else:
            start, last = module.field(START_PERIOD), module.field(LAST_RECURRING)
            if start is not None and last is not None:
                begins, latest = header.get(start.col), header.get(last.col)
                if _empty(latest) or (begins is not None and str(begins) > str(latest)):
                    values = {last.col: begins}
        if values:
            table = self.db.table_for(module)
            conn.execute(table.update().where(table.c.crmid == record_id).values(values))

    # ================================================================================ charges

    def _charge_fields(self, module: ModuleMeta) -> tuple[FieldMeta | None, dict[str, FieldMeta]]:
        """The charge field ("shipping_&_handling") and its tax fields by shipping tax id."""
        charge: FieldMeta | None = None
        taxes: dict[str, FieldMeta] = {}
        for f in module.fields:
            if f.special != "inventoryCharges":
                continue
            match = _CHARGE_TAX.match(f.name)
            if match is None:
                charge = f
            else:
                taxes[match.group("id")] = f
        return charge, taxes

    def _store_charges(self, module: ModuleMeta, element: Mapping[str, Any], values: Row) -> None:
        """sanitizeShippingTaxes(): vtiger_inventorychargesrel (kept as JSON text in the charge
        columns) and the S&H amount, from the charge keys or else hdnS_H_Amount."""
        charge, tax_fields = self._charge_fields(module)
        if charge is None:
            return
        value: Any = None
        taxes: dict[str, Any] = {}
        total = 0.0
        if charge.name in element:
            text = php_string(element[charge.name])
            value = text.replace("%", "")
            if "%" in text:
                sub_total = _num(element.get(SUB_TOTAL))
                discount = _num(element.get(DISCOUNT_AMOUNT))
                if not _empty(element.get(DISCOUNT_PERCENT)):
                    discount = sub_total * _num(element.get(DISCOUNT_PERCENT)) / 100
                value = php_number((sub_total - discount) * _num(value) / 100)
            total = _num(value)
            taxes = {tax_id: element[f.name] for tax_id, f in tax_fields.items() if f.name in element}
        if total:
            _put(module, values, SH_AMOUNT, total)
            _put(module, values, SH_PERCENT, total)  # s_h_percent gets the same sum (sic)
        else:
            value = element.get(SH_AMOUNT)
            taxes = {tax_id: element.get(f"shtax{tax_id}_sh_percent", 0) for tax_id in tax_fields}
            _put(module, values, SH_AMOUNT, _num(value))
            _put(module, values, SH_PERCENT, 0.0)
        values[charge.col] = json.dumps(value)
        for tax_id, f in tax_fields.items():
            values[f.col] = json.dumps(taxes[tax_id]) if tax_id in taxes else None

    def _charges(self, module: ModuleMeta, header: Mapping[str, Any]) -> dict[str, Any]:
        """The record's vtiger_inventorychargesrel charges: {"1": {"value": .., "taxes": {..}}}."""
        charge, tax_fields = self._charge_fields(module)
        if charge is None or header.get(charge.col) is None:
            return {}
        taxes = {
            tax_id: _json_text(header.get(f.col))
            for tax_id, f in tax_fields.items()
            if header.get(f.col) is not None
        }
        return {"1": {"value": _json_text(header.get(charge.col)), "taxes": taxes}}

    # ================================================================================ stock

    def _give_back(self, conn: Connection, moves: Iterable[tuple[Any, float]]) -> None:
        for product_id, quantity in moves:
            self._add_stock(conn, product_id, quantity)

    def _take_stock(self, conn: Connection, record_id: int) -> None:
        """deductProductsFromStock(): every line holds its quantity from now on (incrementondel=1)."""
        lm = self.line_module
        self._set_increment_on_del(conn, record_id, 1)
        for row in self._line_rows(conn, record_id):
            self._add_stock(conn, row[lm.by_name[PRODUCT].col], -_num(row[lm.by_name[_QUANTITY].col]))

    def _status_changed(
        self, conn: Connection, record_id: int, status: Any, before: Any, returned: Sequence[Any]
    ) -> None:
        """updateInventoryProductRel() on a status change: cancelling gives the stock back, leaving
        "Cancel" takes it again."""
        lm = self.line_module
        if status == CANCELLED:
            self._set_increment_on_del(conn, record_id, 0)
            if not returned:
                for row in self._line_rows(conn, record_id):
                    self._add_stock(conn, row[lm.by_name[PRODUCT].col], _num(row[lm.by_name[_QUANTITY].col]))
        elif before == CANCELLED:
            self._take_stock(conn, record_id)

    def _set_increment_on_del(self, conn: Connection, record_id: int, flag: int) -> None:
        lm = self.line_module
        t = self.line_table
        conn.execute(
            t.update()
            .where(t.c[lm.by_name[_PARENT].col] == record_id)
            .values({lm.by_name[_INCREMENT_ON_DEL].col: flag})
        )

    def _add_stock(self, conn: Connection, product_id: Any, quantity: float) -> None:
        """updateProductQty(): only rows of the stock-keeping module (services have no stock)."""
        if self._stock is None or product_id is None or not quantity:
            return
        module, f = self._stock
        t = self.db.table_for(module)
        current = conn.execute(sa.select(t.c[f.col]).where(t.c.crmid == int(product_id))).first()
        if current is None:
            return
        conn.execute(
            t.update()
            .where(t.c.crmid == int(product_id))
            .values({f.col: to_stored(f, _num(current[0]) + quantity)})
        )

    # ================================================================================ final details

    def _final_details(
        self,
        conn: Connection,
        module: ModuleMeta,
        header: Mapping[str, Any],
        lines: Sequence[Row],
        decimals: int,
    ) -> dict[str, Any]:
        """Inventory_Record_Model::getProducts(): one entry per line ("1", "2", ...), the first also
        holding "final_details".  Amounts are PHP number_format() strings in the user's decimals."""
        d = decimals
        printed = self._printer(module, header)
        tax_type = header.get(_col(module, TAX_TYPE))
        products: dict[str, dict[str, Any]] = {}
        for i, line in enumerate(lines, start=1):
            products[str(i)] = self._line_details(conn, module, i, line, tax_type, d)
        first = products.setdefault("1", {})

        final: dict[str, Any] = {"taxtype": tax_type, "discount_type_final": "zero"}
        sub_total = number_format(printed(SUB_TOTAL) or 0, d)
        final["hdnSubTotal"] = sub_total
        percent_text, amount_text = printed(DISCOUNT_PERCENT), printed(DISCOUNT_AMOUNT)
        discount_percent: Any = percent_text if percent_text != "" else 0
        discount_amount: Any = amount_text if amount_text != "" else 0
        if _num(discount_percent) != 0:
            discount_amount = _num(sub_total) * _num(discount_percent) / 100
        final["discount_percentage_final"] = 0
        final["discount_amount_final"] = number_format(0, d)
        final_discount: Any = 0
        if _num(percent_text):
            final_discount = _num(sub_total) * _num(discount_percent) / 100
            final["discount_type_final"] = "percentage"
            final["discount_percentage_final"] = discount_percent
            final["checked_discount_percentage_final"] = " checked"
            final["style_discount_percentage_final"] = ' style="visibility:visible"'
            final["style_discount_amount_final"] = ' style="visibility:hidden"'
        elif _num(amount_text):
            final_discount = amount_text
            final["discount_type_final"] = "amount"
            final["discount_amount_final"] = discount_amount
            final["checked_discount_amount_final"] = " checked"
            final["style_discount_amount_final"] = ' style="visibility:visible"'
            final["style_discount_percentage_final"] = ' style="visibility:hidden"'
        discount_total = number_format(final_discount, d)
        final["discountTotal_final"] = discount_total

        taxes: dict[str, Any] = {}
        tax_total = 0.0
        line_printed = self._printer(self.line_module, lines[0]) if lines else None
        for tax in self._taxes(conn, lines):
            if tax["method"] == "Deducted":
                continue
            if tax_type == "group":  # the first line's column for that tax
                percentage: Any = line_printed(tax["taxname"]) if line_printed is not None else ""
                percentage = percentage if percentage not in ("", "NULL") else 0
            else:
                percentage = tax["percentage"]
            amount = _tax_amount((_num(sub_total) - _num(discount_total)) * _num(percentage) / 100, d)
            taxes[tax["taxid"]] = {
                "taxname": tax["taxname"],
                "taxlabel": tax["taxlabel"],
                "percentage": percentage,
                "amount": amount,
                "taxid": tax["taxid"],
                "type": tax["type"],
                "method": tax["method"],
                "regions": _json_text(tax["regions"]),
                "compoundon": _json_text(tax["compoundon"]),
            }
            tax_total += _num(amount)
        final["taxes"] = taxes or []
        final["tax_totalamount"] = number_format(tax_total, d)
        shipping = number_format(printed(SH_AMOUNT) or 0, d)
        final["shipping_handling_charge"] = shipping

        charges = self._charges(module, header)
        charge_taxes: Mapping[str, Any] = charges.get("1", {}).get("taxes") or {}
        sh_taxes = []
        for n, tax in enumerate(t for t in self._taxes(conn, []) if t["method"] != "Deducted"):
            percentage = charge_taxes.get(str(n + 1))
            percentage = 0 if percentage in (None, "") else percentage
            sh_taxes.append(
                {
                    "taxname": f"sh{tax['taxname']}",
                    "taxlabel": tax["taxlabel"],
                    "percentage": percentage,
                    "amount": php_number(_num(shipping) * _num(percentage) / 100),
                    "taxid": tax["taxid"],
                    "type": tax["type"],
                    "method": tax["method"],
                    "regions": _json_text(tax["regions"]),
                    "compoundon": _json_text(tax["compoundon"]),
                }
            )
        final["sh_taxes"] = sh_taxes
        final["shtax_totalamount"] = number_format(0, d)
        final["adjustment"] = number_format(printed(ADJUSTMENT) or 0, d)
        final["grandTotal"] = number_format(printed(GRAND_TOTAL) or 0, d)
        first["final_details"] = final

        # getProducts() on top of getAssociatedProducts().
        pre_tax_total = 0.0
        if tax_type == "individual":
            for i in range(1, max(len(lines), 1) + 1):
                after_discount = products[str(i)].get(f"totalAfterDiscount{i}")
                products[str(i)][f"netPrice{i}"] = number_format(_num(after_discount), d)
                pre_tax_total += _num(after_discount)
        if not pre_tax_total:
            pre_tax_total = _num(sub_total) + _num(shipping) - _num(discount_total)
        final["preTaxTotal"] = number_format(pre_tax_total, d)
        final["totalAfterDiscount"] = number_format(_num(sub_total) - _num(discount_total), d)
        final["discount_amount_final"] = number_format(_num(final["discount_amount_final"]), d)
        final["chargesAndItsTaxes"] = charges or []
        charge_tax_total = sum(
            _num(c.get("value")) * _num(p) / 100
            for c in charges.values()
            for p in (c.get("taxes") or {}).values()
        )
        final["shtax_totalamount"] = number_format(charge_tax_total, d)
        final["deductTaxes"] = []
        final["deductTaxesTotalAmount"] = number_format(0, d)
        return products

    def _line_details(
        self, conn: Connection, module: ModuleMeta, i: int, line: Row, tax_type: Any, d: int
    ) -> dict[str, Any]:
        """getAssociatedProducts()'s entry for line i."""
        lm = self.line_module
        printed = self._printer(lm, line)
        product_id = line.get(lm.by_name[PRODUCT].col)
        product = self._product(conn, product_id)
        p: dict[str, Any] = {}
        for name, key in (("purchase_cost", "purchaseCost"), ("margin", "margin")):
            f = lm.field(name)
            if f is not None and line.get(f.col) is not None:  # the DB string "0.00000000" is truthy
                p[f"{key}{i}"] = number_format(line[f.col], d)
        p[f"productDeleted{i}"] = product.deleted is None or bool(product.deleted)
        p[f"entityType{i}"] = product.entity_type
        if i != 1:
            p[f"delRow{i}"] = "Del"
        quantity: Any = printed(_QUANTITY) or 1
        list_price: Any = printed(_LIST_PRICE)
        if list_price == "":
            list_price = product.unit_price
        product_total = _num(quantity) * _num(list_price)
        p[f"hdnProductId{i}"] = None if product_id is None else str(product_id)
        p[f"productName{i}"] = product.name
        p[f"hdnProductcode{i}"] = product.code
        p[f"productDescription{i}"] = printed("description")
        p[f"comment{i}"] = printed("comment")
        if module.name not in _DETAILS_WITHOUT_STOCK:
            p[f"qtyInStock{i}"] = format_decimal(product.qty_in_stock)
        p[f"qty{i}"] = format_decimal(quantity)
        p[f"listPrice{i}"] = number_format(list_price, d)
        p[f"unitPrice{i}"] = number_format(product.unit_price, d)
        p[f"productTotal{i}"] = number_format(product_total, d)
        p[f"subproduct_ids{i}"] = ""
        if product.subproducts:
            p[f"subprod_qty_list{i}"] = []
            p[f"subprod_names{i}"] = ""
        percent = format_decimal(printed("discount_percent"))
        amount = format_decimal(number_format(line.get(lm.by_name["discount_amount"].col), d))
        p[f"discount_percent{i}"] = 0
        p[f"discount_amount{i}"] = 0
        discount_total: float = 0.0
        if not _empty(percent):
            p[f"discount_type{i}"] = "percentage"
            p[f"discount_percent{i}"] = percent
            p[f"checked_discount_percent{i}"] = " checked"
            p[f"style_discount_percent{i}"] = ' style="visibility:visible"'
            p[f"style_discount_amount{i}"] = ' style="visibility:hidden"'
            discount_total = product_total * _num(percent) / 100
        elif not _empty(amount):
            p[f"discount_type{i}"] = "amount"
            p[f"discount_amount{i}"] = amount
            p[f"checked_discount_amount{i}"] = " checked"
            p[f"style_discount_amount{i}"] = ' style="visibility:visible"'
            p[f"style_discount_percent{i}"] = ' style="visibility:hidden"'
            discount_total = _num(amount)
        else:
            p[f"checked_discount_zero{i}"] = " checked"
        after_discount = number_format(product_total - discount_total, d)
        p[f"discountTotal{i}"] = number_format(discount_total, d)
        p[f"totalAfterDiscount{i}"] = after_discount
        p[f"taxTotal{i}"] = number_format(0, d)
        p[f"netPrice{i}"] = number_format(_num(after_discount), d)
        return p

    def _product(self, conn: Connection, product_id: Any) -> _Product:
        """Products when vtiger_products has the id, else Services (nulls when neither has it)."""
        entity = self._entities(conn, [product_id]).get(int(product_id)) if product_id is not None else None
        deleted = entity[2] if entity is not None else None
        for index, module in enumerate(self._product_modules):
            row = self._raw_row(conn, module, int(product_id)) if product_id is not None else None
            if row is None:
                continue
            price = module.field(UNIT_PRICE)
            code = module.field(module.numbering.field) if module.numbering is not None else None
            stock = next((f for f in module.fields if f.special == "stockQuantity"), None)
            return _Product(
                entity_type=module.name,
                name=self.store.label_of(module, row),
                code=row.get(code.col) if code is not None else None,
                unit_price=row.get(price.col) if price is not None else None,
                qty_in_stock=to_output(stock, row.get(stock.col)) if stock is not None else "NA",
                deleted=deleted,
                subproducts=index == 0,
            )
        fallback = self._product_modules[-1].name if self._product_modules else ""
        return _Product(fallback, None, None, None, "NA", deleted, False)

    def _taxes(self, conn: Connection, lines: Sequence[Row]) -> list[dict[str, Any]]:
        """getAllTaxes('available', '', 'edit', id): the active taxes, plus those the first line has
        a value for; printed values, ordered by tax id."""
        if self._tax_module is None:
            return []
        tm = self._tax_module
        t = self.db.table_for(tm)
        first = lines[0] if lines else None
        out = []
        for row in conn.execute(sa.select(t).where(t.c[DELETED] == 0).order_by(t.c.crmid)).mappings():
            printed = self._printer(tm, dict(row))
            column = self.line_module.field(printed("taxname"))
            on_line = first is not None and column is not None and first.get(column.col) is not None
            if printed("deleted") not in ("", "0") and not on_line:
                continue
            tax = {name: printed(name) for name in ("taxname", "taxlabel", "percentage", "deleted")}
            tax |= {name: printed(name) for name in ("method", "type", "compoundon", "regions")}
            tax["taxid"] = str(row["crmid"])
            out.append(tax)
        return out

    @staticmethod
    def _printer(module: ModuleMeta, row: Mapping[str, Any]) -> Callable[[str], str]:
        """name → the value as the database hands it to PHP (a string; "" for NULL)."""

        def printed(name: str) -> str:
            f = module.field(name)
            return to_output(f, row.get(f.col)) if f is not None else ""

        return printed


# ------------------------------------------------------------------------------------ helpers


def _tagged(module: ModuleMeta, special: str) -> FieldMeta | None:
    return next((f for f in module.fields if f.special == special), None)


def _col(module: ModuleMeta, name: str) -> str:
    f = module.field(name)
    return f.col if f is not None else name


def _put(module: ModuleMeta, values: Row, name: str, value: Any) -> None:
    f = module.field(name)
    if f is not None:
        values[f.col] = value


def _ordered(record: Mapping[str, Any], order: Sequence[str] | None) -> dict[str, Any]:
    if not order:
        return dict(record)
    known = set(order)
    return {
        **{k: record[k] for k in order if k in record},
        **{k: v for k, v in record.items() if k not in known},
    }


def _merged(element: Mapping[str, Any], parent: Mapping[str, Any], drop: Sequence[str]) -> dict[str, Any]:
    """array_merge($element, $parent) of revise(): the element's keys first (less `drop`; a missing
    conversion_rate added by the sanitizer), the record's values winning."""
    keys = [k for k in element if k not in drop]
    if CONVERSION_RATE not in element:
        keys.append(CONVERSION_RATE)
    out = {k: parent[k] if k in parent else element.get(k) for k in keys}
    out.update({k: v for k, v in parent.items() if k not in out})
    return out
