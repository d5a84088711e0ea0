"""retrieve_inventory (spec §10.3; LineItem/RetrieveInventory.php): a retrieve whose `LineItems` are
read again for the id, for any module (a record without lines gets [])."""

from __future__ import annotations

from typing import Any

from vtiger_mock.protocol.context import Context


def retrieve_inventory(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    records = ctx.crm.records
    module, record_id = records.locate(ctx.conn, params["id"])
    record = records.retrieve(ctx.conn, module, record_id, ctx.actor)
    record["LineItems"] = records.inventory.line_items(ctx.conn, module, record_id)
    return record
