"""convertlead (spec §10.4)."""

from __future__ import annotations

from typing import Any

from vtiger_mock.protocol.context import Context


def convertlead(ctx: Context, params: dict[str, Any]) -> dict[str, str] | None:
    return ctx.crm.leads.convert(ctx.conn, params["element"], ctx.actor)
