"""Field rules that a field's kind alone does not explain, selected by the `special` tag in the
module metadata (fixtures/README.md).  Each rule is Vtiger behaviour seen in the recordings."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from vtiger_mock.crm.schema import FieldMeta, ModuleMeta
from vtiger_mock.crm.values import mysql_number, php_string


def normalise_input(module: ModuleMeta, element: dict[str, Any]) -> None:
    """Rewrite client values before validation."""
    for f in module.fields_with("emailParent"):
        if f.name in element:
            # Emails encode the parent as "<ws id>@<field id>|"; only the id is stored.
            element[f.name] = php_string(element[f.name]).split("@", 1)[0]


def stored_input(f: FieldMeta, value: Any) -> Any:
    """The stored value for fields whose storage format is not their kind's; None if not special."""
    if f.special == "emailAddressList":
        items = value if isinstance(value, list) else [php_string(value)]
        return json.dumps([php_string(v) for v in items])
    return None


def charge_output(stored: Any) -> Any:
    """inventoryCharges: the stored JSON text of vtiger_inventorychargesrel, printed as raw JSON
    (null, 0, or the client's "10"); NULL before any charge was saved."""
    if not isinstance(stored, str) or not stored:
        return None
    try:
        return json.loads(stored)
    except ValueError:
        return stored


def compute(module: ModuleMeta, values: dict[str, Any], supplied: set[str], created: bool) -> None:
    """Fill computed fields of a row about to be saved (`values` by column name)."""
    for f in module.fields_with("computedForecast"):
        amount = _number(module, values, "amount")
        probability = _number(module, values, "probability")
        values[f.col] = amount * probability / 100
    for f in module.fields_with("productCurrency"):
        if f.kind == "decimal":
            # The price in the base currency follows the unit price.
            values[f.col] = _number(module, values, "unit_price")
    if created and not supplied & {"duration_hours", "duration_minutes"}:
        _duration(module, values)


def _number(module: ModuleMeta, values: dict[str, Any], name: str) -> float:
    f = module.field(name)
    return (mysql_number(values.get(f.col)) or 0.0) if f is not None else 0.0


def _duration(module: ModuleMeta, values: dict[str, Any]) -> None:
    """Calendar: whole hours from the start to the end (or, without an end time, the midnight
    after the due date) when the client gives no duration."""
    hours = module.field("duration_hours")
    if hours is None or hours.special != "computedDuration":
        return
    start = _moment(values.get("date_start"), values.get("time_start"))
    due = values.get("due_date")
    end = _moment(due, values.get("time_end")) if values.get("time_end") else _moment(due, None)
    if start is None or end is None:
        return
    if not values.get("time_end"):
        end += timedelta(days=1)
    seconds = max(int((end - start).total_seconds()), 0)
    values[hours.col] = seconds // 3600
    minutes = module.field("duration_minutes")
    if minutes is not None:
        values[minutes.col] = str((seconds % 3600) // 60)


def _moment(day: Any, time: Any) -> datetime | None:
    if not day:
        return None
    text = f"{day} {time or '00:00:00'}"
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None
