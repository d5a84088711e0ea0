"""files_retrieve (spec §10.5): the contents of one attachment, base64-encoded."""

from __future__ import annotations

import base64
from typing import Any

from vtiger_mock.crm.values import leading_int, php_string, split_ws_id
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context


def files_retrieve(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]]:
    crm = ctx.crm
    raw = php_string(params["id"]) if params["id"] is not None else ""
    prefix_text, attachment_text = split_ws_id(raw)
    attachment_id = leading_int(attachment_text)
    stored = crm.files.get(ctx.conn, attachment_id) if attachment_id else None
    # The attachment must belong to a live record (FileRetrieve.php).
    owner_name = crm.files.owner_module(ctx.conn, stored) if stored is not None else None
    if stored is None or owner_name is None:
        raise errors.record_not_found()
    owner = crm.modules.get(owner_name)
    prefix_module = crm.modules.by_prefix(leading_int(prefix_text))
    if prefix_module is None:
        raise errors.access_denied_for("id")
    if owner is not prefix_module:
        raise errors.invalid_id()
    return [
        {
            "fileid": str(stored.attachment_id),
            "filename": stored.name,
            "filetype": stored.type,
            "filesize": len(stored.data),
            "filecontents": base64.b64encode(stored.data).decode("ascii"),
        }
    ]
