"""query (spec §7): Query.php's checks, then the VTQL pipeline, then rows printed like retrieve."""

from __future__ import annotations

from typing import Any

from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context
from vtiger_mock.vtql.compiler import Compiler, module_checker, select_checker, where_checker
from vtiger_mock.vtql.parser import extract_module, parse


def query(ctx: Context, params: dict[str, Any]) -> list[dict[str, Any]]:
    text = params["query"]
    modules = ctx.crm.modules
    name = extract_module(text) if text is not None else None
    if name is None:
        raise errors.access_denied_for("query")
    if modules.get(name) is None:
        raise errors.access_denied_for_name(name)

    # The parser checks the module named by the token after FROM, then columns and conditions
    # against that module, at the moments Vtiger does.
    parsed_module: list[str] = [name]
    check_module = module_checker(modules)

    def on_module(token: str) -> None:
        check_module(token)
        parsed_module[0] = token

    tree = parse(
        text,
        check_module=on_module,
        check_select_column=select_checker(modules, lambda: parsed_module[0]),
        check_where=where_checker(modules, lambda: parsed_module[0]),
    )
    module = modules[tree.module]
    compiled = Compiler(module, ctx.crm.db.table_for(module), ctx.settings.vtql_logic).compile(tree)
    if compiled.statement is None:
        return []
    if compiled.count:
        total = ctx.conn.execute(compiled.statement).scalar_one()
        rows = [{"count": str(total)}]
        return rows[compiled.count_offset :][: compiled.count_limit]
    result = ctx.conn.execute(compiled.statement)
    keys = list(result.keys())
    # Plain tuples zipped into dicts: SQLAlchemy's row mappings cost more than the query itself.
    found = [dict(zip(keys, row, strict=True)) for row in result.all()]
    if compiled.output is None:
        return ctx.crm.records.render(ctx.conn, module, found, as_query=True)
    printed = ctx.crm.records.render(ctx.conn, module, found, fields=compiled.fields, as_query=True)
    return [{key: record[key] for key in compiled.output} for record in printed]
