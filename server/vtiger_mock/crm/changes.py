"""Change tracking for sync (spec §8, GetUpdates.php), read from `crmentity`.

Every write path (webservice, lead conversion, add_related, admin seeding) keeps a record's
crmentity row - setype, owner, deleted flag and modifiedtime - current, so a page of changes is:

1. the modifiedtimes of the first 100 changes after `since` (of the modules, owned by the user)
   decide the window; its last time is the page's `lastModifiedTime`;
2. every change up to and including that time is returned, module by module, so a page holds more
   than 100 records when many share the last second;
3. `more` says whether anything changed after the window.

Deleted records - and converted leads - come back as ids; live ones as `select *` rows.  No HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.clock import format_epoch, parse_timestamp
from vtiger_mock.crm.database import CONVERTED, DELETED, Database
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.records import RecordStore
from vtiger_mock.crm.schema import ModuleMeta
from vtiger_mock.crm.values import to_output

if TYPE_CHECKING:
    from vtiger_mock.crm.state import CRM

SYNC_FILE = "sync.json"

# GetUpdates.php's $numRecordsLimit: how many change times decide a page's window.
WINDOW = 100

# MySQL DATETIME bounds: a modifiedTime outside them still compares as "before everything" or
# "after everything".
_FIRST = "0000-00-00 00:00:00"
_LAST = "9999-12-31 23:59:59"
_MIN_EPOCH = -62135596800  # 0001-01-01 00:00:00 UTC
_MAX_EPOCH = 253402300799  # 9999-12-31 23:59:59 UTC


@dataclass(frozen=True)
class SyncPage:
    updated: list[dict[str, Any]]
    deleted: list[str]
    more: bool
    last_modified: int


def datetime_after(epoch: int) -> str:
    """date('Y-m-d H:i:s', $mtime) in the server zone (UTC), clamped to what MySQL can compare."""
    if epoch < _MIN_EPOCH:
        return _FIRST
    if epoch > _MAX_EPOCH:
        return _LAST
    return format_epoch(epoch)


class ChangeTracker:
    def __init__(
        self,
        db: Database,
        modules: ModuleRegistry,
        records: RecordStore,
        header_columns: Mapping[str, str] | None = None,
        merged_fields: Mapping[str, Sequence[Sequence[str]]] | None = None,
    ) -> None:
        self.db = db
        self.modules = modules
        self.records = records
        # Inventory header fields whose column has a line-item field's name (hdnDiscountPercent is
        # vtiger_invoice.discount_percent): once the line-item fields are gone, the key prints the
        # header field's value.
        self.header_columns = dict(header_columns or {})
        # Per module, groups of fields QueryGenerator selects as one CASE expression: each prints the
        # first non-empty value of the group (Calendar's taskstatus / eventstatus).
        self.merged_fields = {k: [tuple(g) for g in v] for k, v in (merged_fields or {}).items()}

    def page(
        self,
        conn: Connection,
        modules: Sequence[ModuleMeta],
        since: int,
        owners: Collection[int],
        *,
        window: int = WINDOW,
    ) -> SyncPage:
        ent = self.db.crmentity
        after = datetime_after(since)
        names = [m.name for m in modules]
        scope = [ent.c.setype.in_(names), ent.c.smownerid.in_(list(owners))]
        first_changes = (
            sa.select(ent.c.modifiedtime)
            .where(ent.c.modifiedtime > after, *scope)
            .order_by(ent.c.modifiedtime)
            .limit(window)
            .subquery()
        )
        last: str | None = conn.execute(sa.select(sa.func.max(first_changes.c.modifiedtime))).scalar()
        if last is None:
            return SyncPage([], [], False, since)
        updated: list[dict[str, Any]] = []
        deleted: list[str] = []
        for module in modules:
            live, gone = self._changes(conn, module, after, last, owners)
            updated.extend(live)
            deleted.extend(f"{module.id_prefix}x{record_id}" for record_id in gone)
        more = conn.execute(sa.select(ent.c.crmid).where(ent.c.modifiedtime > last, *scope).limit(1)).first()
        return SyncPage(updated, deleted, more is not None, parse_timestamp(last))

    def _changes(
        self, conn: Connection, module: ModuleMeta, after: str, last: str, owners: Collection[int]
    ) -> tuple[list[dict[str, Any]], list[int]]:
        ent = self.db.crmentity
        table = self.db.table_for(module)
        statement = (
            sa.select(table, ent.c.deleted.label("_entity_deleted"))
            .join(ent, ent.c.crmid == table.c.crmid)
            .where(
                ent.c.setype == module.name,
                ent.c.modifiedtime > after,
                ent.c.modifiedtime <= last,
                ent.c.smownerid.in_(list(owners)),
            )
            .order_by(table.c.crmid)  # "DB order": the primary key
        )
        live: list[dict[str, Any]] = []
        gone: list[int] = []
        for row in conn.execute(statement).mappings():
            if row["_entity_deleted"] or row[DELETED] or row[CONVERTED]:
                gone.append(int(row["crmid"]))
            else:
                live.append(dict(row))
        if not live:
            return [], gone
        printed = self.records.render(conn, module, live)
        dropped = self._line_item_keys(module)
        aliases = {
            alias: f
            for name, alias in self.header_columns.items()
            if (f := module.field(name)) is not None and dropped
        }
        groups = self.merged_fields.get(module.name, [])
        for stored, record in zip(live, printed, strict=True):
            for key in dropped:
                record.pop(key, None)
            for alias, f in aliases.items():
                if alias in record:
                    record[alias] = to_output(f, stored.get(f.col))
            for group in groups:
                present = [name for name in group if name in record]
                value = next((record[name] for name in present if record[name] != ""), "")
                for name in present:
                    record[name] = value
        return printed, gone

    def _line_item_keys(self, module: ModuleMeta) -> set[str]:
        """getSelectClauseFields(): an inventory module's row loses LineItem's fields (as its describe
        lists them)."""
        if not module.is_inventory:
            return set()
        line_items = next((m for m in self.modules if m.kind == "lineitem"), None)
        if line_items is None:
            return set()
        kept = {alias for name, alias in self.header_columns.items() if module.field(name) is not None}
        return {f.name for f in line_items.fields if f.describe is not None} - kept

    @classmethod
    def load(cls, crm: CRM) -> ChangeTracker:
        path = crm.profile.directory / SYNC_FILE
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(
            crm.db,
            crm.modules,
            crm.records,
            header_columns=data.get("headerColumns"),
            merged_fields=data.get("mergedFields"),
        )
