"""relatedtypes, retrieve_related, query_related, add_related (spec §9).

query_related keeps QueryRelated.php's quirks, which clients trip over: the related module is the
token after the first FROM (so a trailing ";" makes the relation unknown), the id filter is pasted
in by splitting the query on the uppercase word WHERE, and a ";" is appended before the query runs
through the query operation.
"""

from __future__ import annotations

import re
from typing import Any

from vtiger_mock.crm.relations import Relations
from vtiger_mock.crm.schema import ModuleMeta
from vtiger_mock.crm.values import leading_int, php_string, split_ws_id
from vtiger_mock.operations.query import query as run_query
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context
from vtiger_mock.protocol.envelope import Encoded

# QueryRelated.php: preg_match("/FROM\s+([^\s]+)/i") (PCRE's \s, ASCII only).
_FROM = re.compile(r"FROM[ \t\n\r\v\f]+([^ \t\n\r\v\f]+)", re.IGNORECASE)
_PHP_TRIM = " \t\n\r\0\x0b"
# PHP's is_numeric: an optionally signed decimal, surrounding whitespace allowed.
_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$")


def _allowed_types(ctx: Context) -> set[str]:
    """The user's listtypes: relations to anything else are not shown."""
    return {m.name for m in ctx.crm.modules}


def relatedtypes(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    name = params["elementType"]
    module = ctx.crm.modules.get(name)
    if module is None:
        raise errors.access_denied_for_name(name or "")
    return ctx.crm.relations.related_types(module.name, _allowed_types(ctx))


def retrieve_related(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]] | Encoded:
    related_type = params["relatedType"]
    return _query_related(ctx, f"SELECT * FROM {related_type or ''}", params["id"], params["relatedLabel"])


def query_related(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]] | Encoded:
    return _query_related(ctx, params["query"], params["id"], params["relatedLabel"])


def _query_related(
    ctx: Context, text: str | None, ws_id: Any, label: str | None
) -> list[dict[str, Any]] | Encoded:
    prefix_module, record_id = _resolve(ws_id, ctx)
    # The record's own module (getObjectEntityName): None for a deleted or missing record, which
    # relatedtypes then rejects as an unknown name.
    actual = ctx.crm.records.module_of(ctx.conn, prefix_module, record_id) if record_id is not None else None
    if actual is None:
        raise errors.access_denied_for_name("")
    match = _FROM.search(text or "")
    related_type = match.group(1).strip(_PHP_TRIM) if match else None
    relations = ctx.crm.relations
    information = relations.related_types(actual.name, _allowed_types(ctx))["information"]
    known = isinstance(information, dict) and any(
        key == label and info["name"] == related_type for key, info in information.items()
    )
    relation = next(
        (r for r in relations.model.of(actual.name) if r.label == label and r.module == related_type), None
    )
    if not known or relation is None or record_id is None:
        raise errors.relation_incorrect()
    target = ctx.crm.modules[relation.module]
    ids = relations.related_ids(ctx.conn, relation, record_id)
    if not ids:
        return []  # the query is not even parsed
    return run_query(ctx, {"query": inject_ids(text or "", target, ids)})


def inject_ids(text: str, target: ModuleMeta, ids: list[int]) -> str:
    """QueryRelated.php's rewrite: `id IN (...)` becomes the first condition."""
    clause = "id IN ('" + "','".join(f"{target.id_prefix}x{i}" for i in ids) + "')"
    # stripos(...) == false: no WHERE at all, or one at position 0, counts as none.
    if text.lower().find("where") <= 0:
        text += " WHERE " + clause
    else:
        # explode('WHERE', ...): only the text before the first uppercase WHERE and the piece after
        # it survive; a lowercase "where" stays where it was and breaks the query.
        parts = text.split("WHERE")
        text = parts[0] + " WHERE " + clause + " AND " + (parts[1] if len(parts) > 1 else "")
    return text + ";"


def _resolve(ws_id: Any, ctx: Context) -> tuple[ModuleMeta, int | None]:
    """VtigerWebserviceObject::fromId: only the prefix has to name a known entity."""
    text = php_string(ws_id) if ws_id is not None else ""
    prefix, record = split_ws_id(text)
    module = ctx.crm.modules.by_prefix(leading_int(prefix))
    if not text or module is None:
        raise errors.access_denied_for("id")
    return module, leading_int(record)


def add_related(ctx: Context, params: dict[str, Any]) -> dict[str, str]:
    """AddRelated.php.  Every failure is a plain PHP Exception there, hence INTERNAL_SERVER_ERROR;
    a relation that does not exist (unknown label, unrelated modules) silently adds nothing."""
    source_text = php_string(params["sourceRecordId"]) if params["sourceRecordId"] is not None else ""
    related_text = php_string(params["relatedRecordId"]) if params["relatedRecordId"] is not None else ""
    source_parts = source_text.split("x")
    related_parts = related_text.split("x")
    source_id = leading_int(source_parts[1]) if len(source_parts) > 1 else None
    if source_id is None or not _exists(ctx, source_id):
        raise errors.internal_error()
    modules = ctx.crm.modules
    source = modules.by_prefix(leading_int(source_parts[0]))
    target = modules.by_prefix(leading_int(related_parts[0]))
    if source is None or target is None:
        raise errors.internal_error()
    label_param = params["relationIdLabel"]
    # A numeric value would be a relation id, which 8.2.0 drops on the way: any relation will do.
    label = None if label_param is None or _NUMERIC.match(str(label_param)) else str(label_param)
    relations: Relations = ctx.crm.relations
    relation = relations.model.for_add(source.name, target.name, label)
    if relation is not None:
        target_id = leading_int(related_parts[1]) if len(related_parts) > 1 else None
        relations.add(ctx.conn, relation, source_id, target_id, ctx.actor.id)
    return {"message": "successfull"}


def _exists(ctx: Context, record_id: int) -> bool:
    """isRecordExists(): a live crmentity row, whatever its module."""
    ent = ctx.crm.db.crmentity
    row = ctx.conn.execute(ent.select().where(ent.c.crmid == record_id, ent.c.deleted == 0)).first()
    return row is not None
