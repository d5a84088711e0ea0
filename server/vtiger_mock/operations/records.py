"""create, retrieve, update, revise, delete (spec §6)."""

from __future__ import annotations

from typing import Any

from vtiger_mock.crm.files import has_file_field
from vtiger_mock.operations.answers import kept_or_answered
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context
from vtiger_mock.protocol.envelope import Encoded


def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    module = ctx.crm.modules.get(params["elementType"])
    if module is None:
        raise errors.access_denied()
    record = ctx.crm.records.create(ctx.conn, module, params["element"], ctx.actor)
    upload = ctx.request.files.get(UPLOAD_FIELD)
    if upload is not None and has_file_field(module):
        # Real 8.x clients upload a Document's file as the multipart field "filename".
        record_id = int(str(record["id"]).split("x")[1])
        ctx.crm.files.attach(ctx.conn, module, record_id, upload.filename, upload.content_type, upload.data)
        record = ctx.crm.records.retrieve(ctx.conn, module, record_id)
    return record


UPLOAD_FIELD = "filename"


def retrieve(ctx: Context, params: dict[str, Any]) -> Encoded:
    ws_id = params["id"]

    def answer() -> dict[str, Any]:
        module, record_id, row = ctx.crm.records.locate_row(ctx.conn, ws_id)
        return ctx.crm.records.retrieve(ctx.conn, module, record_id, ctx.actor, row)

    # Kept per id text and user while the data stays the same (see operations/answers.py).
    return kept_or_answered(
        ctx, ("retrieve", ws_id, ctx.actor.id) if isinstance(ws_id, str) else None, answer
    )


def update(ctx: Context, params: dict[str, Any]) -> dict[str, str]:
    return ctx.crm.records.update(ctx.conn, params["element"], ctx.actor, "update")


def revise(ctx: Context, params: dict[str, Any]) -> dict[str, str]:
    return ctx.crm.records.update(ctx.conn, params["element"], ctx.actor, "revise")


def delete(ctx: Context, params: dict[str, Any]) -> dict[str, str]:
    ctx.crm.records.delete(ctx.conn, params["id"], ctx.actor)
    return {"status": "successful"}
