"""query (spec §7): Query.php's checks, then the VTQL pipeline, then rows printed like retrieve."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vtiger_mock.crm.database import Prepared
from vtiger_mock.crm.schema import ModuleMeta
from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.answers import kept_or_answered
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context
from vtiger_mock.protocol.envelope import Encoded
from vtiger_mock.settings import VtqlLogic
from vtiger_mock.vtql.ast import Query, Value
from vtiger_mock.vtql.compiler import CompiledQuery, Compiler, module_checker, select_checker, where_checker
from vtiger_mock.vtql.parser import extract_module, parse
from vtiger_mock.vtql.shapes import ShapeCache

# Clients repeat the same few query texts; what each needs to run is kept (metadata never changes).
_CACHED_QUERIES = 512
_CACHEABLE_LENGTH = 4096


@dataclass(frozen=True)
class VtqlQuery:
    """A statement ready to run: its module, its compiled form (shared by its shape), the SQL that
    runs that form, and the statement's own values for the compiled form's placeholders."""

    module: ModuleMeta
    compiled: CompiledQuery
    prepared: Prepared | None  # None: the query yields [] without touching the database
    values: tuple[Value, ...]


def query(ctx: Context, params: dict[str, Any]) -> Encoded:
    text = params["query"]
    logic = ctx.settings.vtql_logic
    keep = text is not None and len(text) <= _CACHEABLE_LENGTH
    return kept_or_answered(ctx, ("query", text, logic) if keep else None, lambda: _answer(ctx, text, logic))


def _answer(ctx: Context, text: str | None, logic: VtqlLogic) -> list[dict[str, Any]]:
    cache: dict[tuple[str, str], VtqlQuery] = ctx.crm.modules.memo.setdefault("vtql", {})
    found = cache.get((text, logic)) if text is not None else None
    if found is None:
        found = compile_vtql(ctx.crm, text, logic)
        if text is not None and len(text) <= _CACHEABLE_LENGTH:
            if len(cache) >= _CACHED_QUERIES:
                cache.clear()
            cache[(text, logic)] = found
    return _run(ctx, found)


def compile_vtql(crm: CRM, text: str | None, logic: VtqlLogic) -> VtqlQuery:
    """Query.php's checks and the VTQL pipeline; raises Vtiger's errors."""
    modules = crm.modules
    name = extract_module(text) if text is not None else None
    if text is None or name is None:
        raise errors.access_denied_for("query")
    if modules.get(name) is None:
        raise errors.access_denied_for_name(name)

    # The parser checks the module named by the token after FROM, then columns and conditions
    # against that module, at the moments Vtiger does.
    parsed_module: list[str] = [name]
    check_module = module_checker(modules)
    check_where = where_checker(modules, lambda: parsed_module[0])

    def on_module(token: str) -> None:
        check_module(token)
        parsed_module[0] = token

    def full_parse(statement: str) -> Query:
        parsed_module[0] = name
        return parse(
            statement,
            check_module=on_module,
            check_select_column=select_checker(modules, lambda: parsed_module[0]),
            check_where=check_where,
        )

    shapes: ShapeCache = modules.memo.setdefault("vtql_shapes", ShapeCache())
    parsed = shapes.parse(text, full_parse, check_where)
    kept = parsed.kept.get(logic)
    if kept is None:
        module = modules[parsed.tree.module]
        compiled = Compiler(module, crm.db.table_for(module), logic).compile(parsed.tree, parsed.placeholders)
        prepared = crm.db.prepare(compiled.statement) if compiled.statement is not None else None
        kept = parsed.kept[logic] = (module, compiled, prepared)
    module, compiled, prepared = kept
    return VtqlQuery(module, compiled, prepared, parsed.values)


def _run(ctx: Context, query: VtqlQuery) -> list[dict[str, Any]]:
    compiled, prepared = query.compiled, query.prepared
    arguments = compiled.arguments(query.values) if prepared is not None else None
    if prepared is None or arguments is None:
        return []
    rows = prepared.rows(ctx.conn, **arguments)
    if compiled.count:
        counted = [{"count": str(rows[0][0])}]
        return counted[compiled.count_offset :][: compiled.count_limit]
    # Plain tuples zipped into dicts: SQLAlchemy's row mappings cost more than the query itself.
    keys = prepared.columns
    found = [dict(zip(keys, row, strict=True)) for row in rows]
    module = query.module
    if compiled.output is None:
        return ctx.crm.records.render(ctx.conn, module, found, as_query=True)
    printed = ctx.crm.records.render(ctx.conn, module, found, fields=compiled.fields, as_query=True)
    return [{key: record[key] for key in compiled.output} for record in printed]
