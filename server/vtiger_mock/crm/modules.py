"""The set of modules of a profile, looked up by name or by webservice id prefix."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from vtiger_mock.crm.schema import ModuleMeta


class ModuleRegistry:
    def __init__(self, modules: Iterable[ModuleMeta]) -> None:
        # Structures derived from the (immutable) metadata, e.g. compiled queries by text.
        self.memo: dict[str, Any] = {}
        self._by_name: dict[str, ModuleMeta] = {}
        self._by_prefix: dict[int, ModuleMeta] = {}
        for m in modules:
            self._by_name[m.name] = m
            self._by_prefix[m.id_prefix] = m
        # listtypes order (vtiger_ws_entity id order): modules first, then the other entities.
        ordered = sorted(self._by_name.values(), key=lambda m: m.id_prefix)
        self.listed: tuple[ModuleMeta, ...] = tuple(
            [m for m in ordered if m.is_entity] + [m for m in ordered if not m.is_entity]
        )
        self._sharing: dict[str, tuple[ModuleMeta, ...]] = {}
        for m in ordered:
            self._sharing[m.table] = (*self._sharing.get(m.table, ()), m)

    def __iter__(self) -> Iterator[ModuleMeta]:
        return iter(self.listed)

    def get(self, name: str | None) -> ModuleMeta | None:
        """Names are case-sensitive, as in Vtiger (`accounts` is not `Accounts`)."""
        if name is None:
            return None
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> ModuleMeta:
        return self._by_name[name]

    def by_prefix(self, prefix: int | None) -> ModuleMeta | None:
        if prefix is None:
            return None
        return self._by_prefix.get(prefix)

    def sharing_table(self, module: ModuleMeta) -> tuple[ModuleMeta, ...]:
        """Modules stored in the same table as `module` (Calendar, Events and Emails)."""
        return self._sharing[module.table]

    def module_of_row(self, module: ModuleMeta, row: dict[str, object]) -> ModuleMeta:
        """For a shared table, the module a row belongs to according to the modules' selectors."""
        for candidate in self.sharing_table(module):
            sel = candidate.selector
            if sel is None:
                continue
            value = row.get(sel.field)
            if sel.matches(None if value is None else str(value)):
                return candidate
        return module
