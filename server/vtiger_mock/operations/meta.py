"""listtypes and describe (spec §5)."""

from __future__ import annotations

from typing import Any

from vtiger_mock.crm.schema import ModuleMeta
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context


def _has_field_type(module: ModuleMeta, wanted: set[str], by_uitype: dict[int, str]) -> bool:
    # ModuleTypes.php matches on the uitype's row in vtiger_ws_fieldtype, for visible fields only.
    return any(f.presence in (0, 2) and by_uitype.get(f.uitype) in wanted for f in module.fields)


def listtypes(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params["fieldTypeList"]
    modules = list(ctx.crm.modules)
    # Only a non-empty JSON array filters; anything else (bad JSON, a string, []) lists everything.
    if isinstance(wanted, list) and wanted:
        names = {str(w).lower() for w in wanted if isinstance(w, (str, int, float))}
        by_uitype = ctx.crm.profile.ws_field_types
        # With a filter only modules are listed: the entity list is computed but never used.
        modules = [m for m in modules if m.is_entity and _has_field_type(m, names, by_uitype)]
    information = {
        m.name: {"isEntity": m.is_entity, "label": m.label, "singular": m.singular} for m in modules
    }
    # PHP encodes an empty array as [], not {}.
    return {"types": [m.name for m in modules], "information": information or []}


def describe(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    name = params["elementType"]
    module = ctx.crm.modules.get(name)
    if module is None:
        raise errors.access_denied_for_name(name or "")
    # Metadata is immutable once loaded: a module's description is built once.
    described: dict[str, Any] = module.memo.get("describe") or module.memo.setdefault(
        "describe", describe_module(module)
    )
    return described


def describe_module(module: ModuleMeta) -> dict[str, Any]:
    entries = {f.name: f.describe for f in module.fields if f.describe is not None}
    if module.id_field is not None:
        entries["id"] = module.id_field
    order = module.describe_order or tuple(entries)
    fields = [entries[n] for n in order if n in entries]
    out: dict[str, Any] = {}
    for key, value in module.describe.items():
        if key == "idPrefix":
            out["fields"] = fields
        out[key] = value
    out.setdefault("fields", fields)
    return out
