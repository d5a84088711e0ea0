"""query (spec §7): Query.php's checks, then the VTQL pipeline, then rows printed like retrieve."""

from __future__ import annotations

from typing import Any

from vtiger_mock.crm.schema import ModuleMeta
from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.answers import kept_or_answered
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context
from vtiger_mock.protocol.envelope import Encoded
from vtiger_mock.settings import VtqlLogic
from vtiger_mock.vtql.ast import Query
from vtiger_mock.vtql.compiler import CompiledQuery, Compiler, module_checker, select_checker, where_checker
from vtiger_mock.vtql.parser import extract_module, parse
from vtiger_mock.vtql.shapes import ShapeCache

# Clients repeat the same few query texts; their compiled form is kept (metadata never changes).
_CACHED_QUERIES = 512
_CACHEABLE_LENGTH = 4096


def query(ctx: Context, params: dict[str, Any]) -> Encoded:
    text = params["query"]
    logic = ctx.settings.vtql_logic
    keep = text is not None and len(text) <= _CACHEABLE_LENGTH
    return kept_or_answered(ctx, ("query", text, logic) if keep else None, lambda: _answer(ctx, text, logic))


def _answer(ctx: Context, text: str | None, logic: VtqlLogic) -> list[dict[str, Any]]:
    cache: dict[tuple[str, str], tuple[ModuleMeta, CompiledQuery]] = ctx.crm.modules.memo.setdefault(
        "vtql", {}
    )
    cached = cache.get((text, logic)) if text is not None else None
    if cached is None:
        cached = compile_vtql(ctx.crm, text, logic)
        if text is not None and len(text) <= _CACHEABLE_LENGTH:
            if len(cache) >= _CACHED_QUERIES:
                cache.clear()
            cache[(text, logic)] = cached
    module, compiled = cached
    return _run(ctx, module, compiled)


def compile_vtql(crm: CRM, text: str | None, logic: VtqlLogic) -> tuple[ModuleMeta, CompiledQuery]:
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
    tree = shapes.parse(text, full_parse, check_where)
    module = modules[tree.module]
    return module, Compiler(module, crm.db.table_for(module), logic).compile(tree)


def _run(ctx: Context, module: ModuleMeta, compiled: CompiledQuery) -> list[dict[str, Any]]:
    if compiled.statement is None:
        return []
    keys, rows = ctx.crm.db.fetch(ctx.conn, compiled.statement, compiled.memo)
    if compiled.count:
        counted = [{"count": str(rows[0][0])}]
        return counted[compiled.count_offset :][: compiled.count_limit]
    # Plain tuples zipped into dicts: SQLAlchemy's row mappings cost more than the query itself.
    found = [dict(zip(keys, row, strict=True)) for row in rows]
    if compiled.output is None:
        return ctx.crm.records.render(ctx.conn, module, found, as_query=True)
    printed = ctx.crm.records.render(ctx.conn, module, found, fields=compiled.fields, as_query=True)
    return [{key: record[key] for key in compiled.output} for record in printed]
