"""sync (spec §8, GetUpdates.php) as it answers when its handler is called (PHP 7).

Where stock 8.2.0 dies before answering (PHP 8 named arguments, PHP 8 TypeErrors on a missing or
textual modifiedTime, the untyped path) the emulator answers what the working code path computes:
modifiedTime is read as PHP's (int) cast (missing → 0), no elementType means every entity module.
"""

from __future__ import annotations

import math
import re
from typing import Any

from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context

_PHP_NUMERIC_PREFIX = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INT64 = 2**63 - 1


def php_int(value: Any) -> int:
    """PHP 7.1+ (int) of a request string: its leading number ("1e3" is 1000, "12abc" is 12), else 0."""
    if value is None:
        return 0
    match = _PHP_NUMERIC_PREFIX.match(str(value))
    if match is None:
        return 0
    number = float(match.group(0))
    if not math.isfinite(number):
        return 0
    return int(max(-_INT64 - 1, min(_INT64, number)))


def sync(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    raw_time = params["modifiedTime"]
    element_type = params["elementType"]
    modules = ctx.crm.modules
    # The entity modules of the user's listtypes, in listtypes order.
    entities = [m for m in modules if m.is_entity]
    if element_type is None:
        chosen = entities
    else:
        module = modules.get(element_type)
        if module is None or not module.is_entity:
            raise errors.access_denied()
        chosen = [module]
    # Users are never synced; only CRM records have crmentity rows.
    chosen = [m for m in chosen if m.kind == "crm"]
    if not chosen:
        # GetUpdates.php returns early here, in this key order, echoing modifiedTime as given.
        return {"updated": [], "deleted": [], "lastModifiedTime": raw_time, "more": False}
    page = ctx.crm.changes.page(ctx.conn, chosen, php_int(raw_time), [ctx.actor.id])
    return {
        "updated": page.updated,
        "deleted": page.deleted,
        "more": page.more,
        "lastModifiedTime": page.last_modified,
    }
