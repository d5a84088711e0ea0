"""Records: id resolution, create / read / update / revise / delete, and printing them as Vtiger does.

Every method takes the request's connection, so one request is one transaction.  Failures are
Vtiger's own errors (from the error catalogue), raised in the order real Vtiger checks them.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm import specials
from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.database import DELETED, Database
from vtiger_mock.crm.files import FILE_UITYPES, attachment_ids
from vtiger_mock.crm.id_lookup import look_up
from vtiger_mock.crm.inventory import Inventory
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.schema import FieldMeta, ModuleMeta
from vtiger_mock.crm.sequences import Sequences
from vtiger_mock.crm.values import (
    leading_int,
    output_converter,
    php_string,
    split_ws_id,
    to_output,
    to_stored,
)
from vtiger_mock.protocol import errors

# Vtiger's universal entity columns (vtiger_crmentity), filled by the server on every save.
CREATED_TIME = "createdtime"
MODIFIED_TIME = "modifiedtime"
MODIFIED_BY = "modifiedby"

# Actors with a `deleted` column of their own (Currency, Tax) are marked, not removed, by a delete:
# references to them still print (VtigerCRMActorMeta::exists() ignores the flag) - an invoice keeps
# printing its deleted currency as "21x1" (patched_retrieve_inventory).
SOFT_DELETE_FIELD = "deleted"

# The Users preference inventory amounts are formatted with (getCurrencyDecimalPlaces()).
CURRENCY_DECIMALS = "no_of_currency_decimals"
DEFAULT_CURRENCY_DECIMALS = 2

WriteMode = Literal["create", "update", "revise"]

Row = dict[str, Any]


@dataclass(frozen=True)
class Actor:
    """The user a request acts as."""

    id: int
    user_name: str
    is_admin: bool
    # The user's "no_of_currency_decimals" preference: currency input is rounded to it.
    currency_decimals: int = 2


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


_ABSENT = object()


def _same(stored: Any, value: Any) -> bool:
    """Whether writing `value` over `stored` changes nothing (1 and 1.0 differ: in a text column
    they are "1" and "1.0")."""
    return type(stored) is type(value) and stored == value


class RecordStore:
    def __init__(
        self,
        db: Database,
        modules: ModuleRegistry,
        clock: Clock,
        sequences: Sequences,
        *,
        first_user_id: int = 1,
    ) -> None:
        # New users start here (5 on 8.2.0), so a user id never looks like a group id.
        self.first_user_id = first_user_id
        self.db = db
        self.modules = modules
        self.clock = clock
        self.sequences = sequences
        # Tables holding the rows of more than one module (Calendar, Events and Emails).
        self._shared_tables = {t for t, n in Counter(m.table for m in modules).items() if n > 1}
        self._users = modules.get("Users")
        # Line items, totals and stock of modules whose `is_inventory` is true (crm/inventory.py).
        self.inventory = Inventory(self)

    # ---------------------------------------------------------------- id resolution

    def locate(self, conn: Connection, ws_id: Any) -> tuple[ModuleMeta, int]:
        """Resolve a webservice id as Retrieve/Update/Revise/Delete do (spec §4.3)."""
        prefix_module, record_id = self._parse_ws_id(ws_id)
        actual = self.module_of(conn, prefix_module, record_id) if record_id is not None else None
        if actual is None:
            raise errors.access_denied()
        if actual is not prefix_module:
            raise errors.invalid_id()
        return prefix_module, record_id  # type: ignore[return-value]

    def locate_row(self, conn: Connection, ws_id: Any) -> tuple[ModuleMeta, int, Row]:
        """locate() and the record's row.  A live row in the table of the id's module is the
        answer when no other module shares that table (its crmentity entry says the same), so one
        read does both; anything else takes locate()'s path and its errors."""
        prefix_module, record_id = self._parse_ws_id(ws_id)
        if record_id is not None and prefix_module.table not in self._shared_tables:
            row = self.fetch_row(conn, prefix_module, record_id)
            if row is not None:
                return prefix_module, record_id, row
        module, record_id = self.locate(conn, ws_id)
        row = self.fetch_row(conn, module, record_id)
        if row is None:
            raise errors.access_denied()
        return module, record_id, row

    def _parse_ws_id(self, ws_id: Any) -> tuple[ModuleMeta, int | None]:
        text = php_string(ws_id) if not _is_empty(ws_id) else ""
        if not text:
            raise errors.access_denied_for("id")
        # The whole id string is compared with the numeric entity id, so MySQL casts "12x5" to 12.
        prefix_module = self.modules.by_prefix(leading_int(text))
        if prefix_module is None:
            raise errors.access_denied_for("id")
        return prefix_module, leading_int(split_ws_id(text)[1])

    def module_of(self, conn: Connection, hint: ModuleMeta, record_id: int) -> ModuleMeta | None:
        """The module a live record belongs to; None for a missing or deleted record."""
        if hint.kind == "crm":
            found = self._setype_of(conn, record_id)
            return self.modules.get(found) if found is not None else None
        table = self.db.table_for(hint)
        live = self.db.prepared(
            f"records.live.{table.name}",
            lambda: sa.select(table.c.crmid).where(
                table.c.crmid == sa.bindparam("id"), table.c[DELETED] == 0
            ),
        ).first(conn, id=record_id)
        return hint if live is not None else None

    def _setype_of(self, conn: Connection, record_id: int) -> str | None:
        """The module name crmentity files a live record under."""
        ent = self.db.crmentity
        found = self.db.prepared(
            "records.setype",
            lambda: sa.select(ent.c.setype).where(ent.c.crmid == sa.bindparam("id"), ent.c.deleted == 0),
        ).first(conn, id=record_id)
        return str(found[0]) if found is not None else None

    # ---------------------------------------------------------------- reading

    def fetch_row(self, conn: Connection, module: ModuleMeta, record_id: int) -> Row | None:
        table = self.db.table_for(module)
        statement = self.db.prepared(
            f"records.row.{table.name}",
            lambda: sa.select(table).where(table.c.crmid == sa.bindparam("id"), table.c[DELETED] == 0),
        )
        found = statement.first(conn, id=record_id)
        return dict(zip(statement.columns, found, strict=True)) if found is not None else None

    def retrieve(
        self,
        conn: Connection,
        module: ModuleMeta,
        record_id: int,
        actor: Actor | None = None,
        row: Row | None = None,
    ) -> dict[str, Any]:
        """The record as retrieve prints it; `row`: its live row, when the caller has it."""
        if row is None:
            row = self.fetch_row(conn, module, record_id)
        if row is None:
            raise errors.access_denied()
        record = self.render(conn, module, [row], with_label=True)[0]
        if module.is_inventory:
            decimals = actor.currency_decimals if actor is not None else self._decimals_of(conn, row)
            record = self.inventory.retrieved(conn, module, row, record, decimals)
        return record

    # ---------------------------------------------------------------- printing

    def render(
        self,
        conn: Connection,
        module: ModuleMeta,
        rows: Sequence[Mapping[str, Any]],
        *,
        with_label: bool = False,
        fields: Sequence[FieldMeta] | None = None,
        with_id: bool = True,
        as_query: bool = False,
    ) -> list[dict[str, Any]]:
        """Stored rows → Vtiger's output objects: every value a string, ids as <prefix>x<id>.
        `as_query`: printed as the query operation prints them (some fields come out empty)."""
        layout = _layout(
            self.modules, module, fields, with_label=with_label, with_id=with_id, as_query=as_query
        )
        converters = list(layout.converters)
        if layout.batch:
            _print_batch(self.db, conn, layout.batch, rows, converters)
        names, columns, order = layout.names, layout.columns, layout.order
        out = []
        for row in rows:
            # map() keeps the per-value loop in C: printing is most of a 100-row query's time.
            record = dict(zip(names, map(operator.call, converters, map(row.get, columns)), strict=True))
            if layout.labelled and (label := self.label_of(module, row)):
                record["label"] = label
                if layout.label_inside:  # keys after the label (Products)
                    record = {k: record[k] for k in order if k in record}  # type: ignore[union-attr]
            out.append(record)
        if layout.with_files:
            self._add_attachment_ids(conn, module, rows, out)
        return out

    def _add_attachment_ids(
        self,
        conn: Connection,
        module: ModuleMeta,
        rows: Sequence[Mapping[str, Any]],
        out: list[dict[str, Any]],
    ) -> None:
        """Records of modules with file fields list their attachments (DataTransform's
        sanitizeFileFieldsForIds): "imageattachmentids" after the id, before the label."""
        found = attachment_ids(conn, self.db, [int(r["crmid"]) for r in rows])
        for i, (row, record) in enumerate(zip(rows, out, strict=True)):
            attachments = [f"{module.id_prefix}x{a}" for a in found.get(int(row["crmid"]), ())]
            if not attachments:
                continue
            rebuilt: dict[str, Any] = {}
            for key, value in record.items():
                if key == "label":
                    rebuilt["imageattachmentids"] = ",".join(attachments)
                rebuilt[key] = value
            rebuilt.setdefault("imageattachmentids", ",".join(attachments))
            out[i] = rebuilt

    def label_of(self, module: ModuleMeta, row: Mapping[str, Any]) -> str:
        parts = []
        for name in module.label_fields:
            f = module.field(name)
            if f is not None:
                value = to_output(f, row.get(f.col))
                if value:
                    parts.append(value)
        return " ".join(parts)

    # ---------------------------------------------------------------- writing

    def create(self, conn: Connection, module: ModuleMeta, element: Any, actor: Actor) -> dict[str, Any]:
        values = self.prepare(conn, module, element, actor, "create")
        if module.is_inventory:
            self.inventory.normalise_header(module, element, values)
        now = self.clock.timestamp()
        record_id = (
            self.sequences.next_id(conn) if module.kind == "crm" else self._next_actor_id(conn, module)
        )
        values = {**module.default_row, **values}
        self._stamp(module, values, now, actor, created=True)
        specials.compute(module, values, _supplied(element), created=True)
        if module.numbering is not None:
            num_field = module.field(module.numbering.field)
            if num_field is not None:
                values[num_field.col] = self.sequences.next_record_number(conn, module)
        for col in module.creator_columns:
            values[col] = actor.id
        self._check_duplicate(conn, module, values, None)
        target = self._store_module(module, values)
        selector = module.selector
        asked = element.get(selector.field) if selector is not None and isinstance(element, dict) else None
        if target is not module and not _is_empty(asked):
            # Asked to file the record under another module (a Calendar create with activitytype
            # Meeting is saved as an Event): fields that module lacks are not saved.
            for f in module.fields:
                if target.field(f.name) is None:
                    values[f.col] = f.default
        if target.kind == "crm":
            self.db.insert_row(
                conn,
                self.db.crmentity,
                {
                    "crmid": record_id,
                    "setype": target.name,
                    "deleted": 0,
                    "smownerid": self._owner_of(module, values) or 0,
                    "modifiedtime": now,
                },
            )
        stored = self.db.insert_row(conn, self.db.table_for(module), {"crmid": record_id, **values})
        if module.is_inventory:
            return self.inventory.after_save(conn, module, record_id, element, actor, "create", None)
        # The answer is printed as the requested module even when the row is filed under another
        # (a Calendar record without activitytype Task comes back as 9x…, is an Event afterwards).
        # The row as stored, when the insert could tell; else read back.
        return self.retrieve(conn, module, record_id, row=stored)

    def update(
        self, conn: Connection, element: Any, actor: Actor, mode: Literal["update", "revise"]
    ) -> dict[str, Any]:
        if not isinstance(element, dict):
            if mode == "revise" and element is not None:
                raise errors.mandatory_generic()
            element = {}
        module, record_id, current = self.locate_row(conn, element.get("id"))
        values = self.prepare(conn, module, element, actor, mode)
        if module.is_inventory:
            self.inventory.normalise_header(module, element, values)
        merged = {**current, **values}
        self._stamp(module, merged, self.clock.timestamp(), actor, created=False)
        specials.compute(module, merged, _supplied(element), created=False)
        self._check_duplicate(conn, module, merged, record_id)
        # Values left alone are the very objects read: `is` settles most columns.
        changed = [
            col
            for col, value in merged.items()
            if (old := current.get(col, _ABSENT)) is not value and not _same(old, value)
        ]
        stored = {**merged, **self.db.update_row(conn, self.db.table_for(module), record_id, merged, changed)}
        target = self._store_module(module, merged)
        if module.kind == "crm":
            ent = self.db.crmentity
            self.db.prepared(
                "records.entity_saved",
                lambda: (
                    ent.update()
                    .where(ent.c.crmid == sa.bindparam("id"))
                    .values(
                        setype=sa.bindparam("setype"),
                        smownerid=sa.bindparam("owner"),
                        modifiedtime=sa.bindparam("modified"),
                    )
                ),
            ).execute(
                conn,
                id=record_id,
                setype=target.name,
                owner=self._owner_of(module, merged) or 0,
                modified=merged.get(MODIFIED_TIME) or self.clock.timestamp(),
            )
        if module.is_inventory:
            return self.inventory.after_save(conn, module, record_id, element, actor, mode, current)
        return self.retrieve(conn, target, record_id, row=stored)

    def delete(self, conn: Connection, ws_id: Any, actor: Actor) -> None:
        module, record_id = self.locate(conn, ws_id)
        if module.is_inventory:
            self.inventory.before_delete(conn, record_id)
        now = self.clock.timestamp()
        table = self.db.table_for(module)
        stamp: dict[str, Any] = {DELETED: 1}
        if module.field(MODIFIED_TIME) is not None:
            stamp[module.by_name[MODIFIED_TIME].col] = now
        if module.field(MODIFIED_BY) is not None:
            stamp[module.by_name[MODIFIED_BY].col] = actor.id
        self.db.prepared(
            f"records.delete.{module.name}",
            lambda: (
                table.update()
                .where(table.c.crmid == sa.bindparam("id"))
                .values({col: sa.bindparam(f"v_{col}") for col in stamp})
            ),
        ).execute(conn, id=record_id, **{f"v_{col}": value for col, value in stamp.items()})
        if module.kind == "crm":
            ent = self.db.crmentity
            self.db.prepared(
                "records.entity_deleted",
                lambda: (
                    ent.update()
                    .where(ent.c.crmid == sa.bindparam("id"))
                    .values(deleted=1, modifiedtime=sa.bindparam("now"))
                ),
            ).execute(conn, id=record_id, now=now)

    def prepare(
        self, conn: Connection, module: ModuleMeta, element: Any, actor: Actor, mode: WriteMode
    ) -> Row:
        """Validate a client element and turn it into stored column values (spec §6.1, §6.3, §6.4)."""
        if not isinstance(element, dict):
            element = {}
        element = dict(element)
        element.pop("id", None)
        specials.normalise_input(module, element)
        # References: a known prefix, of a module the field may point to (existence is not checked).
        resolved: dict[str, Any] = {}
        # The supplied fields, in the module's order (which decides which error comes first).
        supplied = [f for f in module.fields if f.name in element]
        for f in supplied:
            if f.type_name != "reference" or f.readonly:
                continue
            raw = element[f.name]
            if _is_empty(raw):
                if mode == "revise":
                    resolved[f.name] = None  # revise passes "" through and clears the reference
                else:
                    del element[f.name]  # create/update drop it: update keeps the old value
                continue
            prefix_text, id_text = split_ws_id(php_string(raw))
            target = self.modules.by_prefix(leading_int(prefix_text))
            if target is None:
                raise errors.access_denied_for("id")
            if target.name not in f.refers_to:
                raise errors.reference_invalid(f.name)
            if f.kind == "reference":
                resolved[f.name] = leading_int(id_text)
        # Mandatory fields: all of them on create/update, only the supplied ones on revise.
        for f in module.mandatory_fields:
            if mode == "revise" and f.name not in element:
                continue
            if f.name not in element or _is_empty(element[f.name]):
                raise errors.mandatory_missing(f.name)
        if module.is_inventory and mode == "create":
            items = element.get("LineItems")
            if not isinstance(items, list) or not items:
                raise errors.line_items_missing()
        values: Row = {}
        for f in supplied:
            if f.readonly or f.name not in element:  # (an empty reference was dropped above)
                continue
            if f.name in resolved:
                values[f.col] = resolved[f.name]
            elif f.kind == "owner":
                values[f.col] = self._owner_input(element[f.name], actor)
            elif (special := specials.stored_input(f, element[f.name])) is not None:
                values[f.col] = special
            elif f.type_name == "currency":
                values[f.col] = to_stored(f, element[f.name], decimals=actor.currency_decimals)
            else:
                values[f.col] = to_stored(f, element[f.name])
        return values

    # ---------------------------------------------------------------- helpers

    def _owner_input(self, raw: Any, actor: Actor) -> int:
        # The prefix is not checked ("11x1" means user 1); a value without "x" means the current user.
        text = php_string(raw)
        if "x" not in text:
            return actor.id
        owner = leading_int(split_ws_id(text)[1])
        return owner if owner is not None else actor.id

    def _owner_of(self, module: ModuleMeta, values: Mapping[str, Any]) -> int | None:
        f = module.owner_field
        value = values.get(f.col) if f is not None else None
        return int(value) if value is not None else None

    def _stamp(self, module: ModuleMeta, values: Row, now: str, actor: Actor, *, created: bool) -> None:
        if created and module.field(CREATED_TIME) is not None:
            values[module.by_name[CREATED_TIME].col] = now
        if module.field(MODIFIED_TIME) is not None:
            values[module.by_name[MODIFIED_TIME].col] = now
        if module.field(MODIFIED_BY) is not None:
            values[module.by_name[MODIFIED_BY].col] = actor.id

    def _store_module(self, module: ModuleMeta, values: Mapping[str, Any]) -> ModuleMeta:
        """The module a saved row belongs to (a Calendar record without activitytype Task is an Event)."""
        if module.selector is None:
            return module
        return self.modules.module_of_row(module, dict(values))

    def _check_duplicate(
        self, conn: Connection, module: ModuleMeta, values: Mapping[str, Any], record_id: int | None
    ) -> None:
        if module.allow_duplicates or module.unique_field is None:
            return
        f = module.field(module.unique_field)
        if f is None:
            return
        value = values.get(f.col)
        if _is_empty(value):
            return
        table = self.db.table_for(module)
        # MySQL's ci collation: case-insensitive, trailing spaces (only spaces) ignored.
        other = self.db.prepared(
            ("records.duplicate", table.name),
            lambda: (
                sa.select(table.c.crmid)
                .where(
                    sa.func.rtrim(table.c[f.col]).collate("NOCASE") == sa.bindparam("value"),
                    table.c[DELETED] == 0,
                    table.c.crmid != sa.bindparam("record"),
                )
                .limit(1)
            ),
        ).first(conn, value=str(value).rstrip(" "), record=record_id if record_id is not None else -1)
        if other is not None:
            raise errors.duplicate_detected()

    def _decimals_of(self, conn: Connection, row: Mapping[str, Any]) -> int:
        """The currency decimals of the user who last saved a record: Vtiger uses the current
        user's, which a retrieve without an actor does not know."""
        editor = row.get(MODIFIED_BY)
        users = self._users
        if editor is None or users is None or users.field(CURRENCY_DECIMALS) is None:
            return DEFAULT_CURRENCY_DECIMALS
        table = self.db.table_for(users)
        found = self.db.prepared(
            "records.decimals_of",
            lambda: sa.select(table.c[users.by_name[CURRENCY_DECIMALS].col]).where(
                table.c.crmid == sa.bindparam("id")
            ),
        ).first(conn, id=editor)
        value = found[0] if found is not None else None
        return leading_int(php_string(value)) or 0  # PHP (int): "" and "abc" are 0

    def _next_actor_id(self, conn: Connection, module: ModuleMeta) -> int:
        if module.kind == "lineitem":  # an AUTO_INCREMENT column: ids of deleted lines are not reused
            return self.inventory.next_line_id(conn)
        table = self.db.table_for(module)
        found = self.db.prepared(
            f"records.max_id.{table.name}", lambda: sa.select(sa.func.max(table.c.crmid))
        ).first(conn)
        current = found[0] if found is not None else None
        floor = self.first_user_id if module.kind == "users" else 1
        return max(int(current or 0) + 1, floor)


class _Source(NamedTuple):
    """Where an id a reference or owner field prints may be found; a field's sources are tried in
    order and the first holding the id names it (its prefix)."""

    table: str  # "" for crmentity: a live CRM record filed under `setype`
    setype: str
    test: Literal["setype", "live", "held"]  # held: any row, deleted or not
    prefix: str  # "11x"


class _BatchField(NamedTuple):
    """A reference or owner field of a layout, printed per batch of rows."""

    position: int  # its place among the layout's converters
    col: str
    owner: bool  # an owner id found nowhere prints bare; a reference prints ""
    sources: tuple[_Source, ...]


def _sources(modules: ModuleRegistry, f: FieldMeta) -> tuple[_Source, ...]:
    """Owners print as 20x<id> when a group has the id (groups are checked first), else 19x<id>;
    a deleted user still owns its records (VtigerCRMActorMeta::exists() ignores the flag).
    References print as the first target module holding a live record with that id; actors with a
    `deleted` column of their own (Currency) print deleted rows too."""
    out: list[_Source] = []
    if f.kind == "owner":
        for m in (modules.get("Groups"), modules.get("Users")):
            if m is not None:
                out.append(_Source(m.table, m.name, "held", m.ws_prefix))
        return tuple(out)
    for target in f.refers_to:
        m = modules.get(target)
        if m is None:
            continue
        if m.kind == "crm":
            out.append(_Source("", m.name, "setype", m.ws_prefix))
        elif m.field(SOFT_DELETE_FIELD) is not None:
            out.append(_Source(m.table, m.name, "held", m.ws_prefix))
        else:
            out.append(_Source(m.table, m.name, "live", m.ws_prefix))
    return tuple(out)


def _print_batch(
    db: Database,
    conn: Connection,
    batch: tuple[_BatchField, ...],
    rows: Sequence[Mapping[str, Any]],
    converters: list[Callable[[Any], Any]],
) -> None:
    """Sets the converters of a batch's reference and owner fields, every id of every field looked
    up in one statement.  Every retrieve, create and revise prints one such batch: plain loops."""
    entities: set[int] = set()
    tables: dict[str, set[int]] = {}
    wanted: list[set[int]] = []
    for field in batch:
        col = field.col
        if field.owner:
            ids = {int(v) for r in rows if (v := r.get(col)) is not None}
        else:
            ids = {int(v) for r in rows if (v := r.get(col)) not in (None, "")}
            ids.discard(0)
        wanted.append(ids)
        if ids:
            for source in field.sources:
                if not source.table:
                    entities |= ids
                elif source.table in tables:
                    tables[source.table] |= ids
                else:
                    tables[source.table] = set(ids)
    found = look_up(db, conn, entities, tables)
    for field, ids in zip(batch, wanted, strict=True):
        printed: dict[int, str] = {}
        for source in field.sources:
            if len(printed) == len(ids):
                break
            if source.test == "setype":
                setypes, setype = found.setypes, source.setype
                hits = [i for i in ids if i not in printed and setypes.get(i) == setype]
            elif source.test == "held":
                held = found.rows[source.table]
                hits = [i for i in ids if i not in printed and i in held]
            else:
                held = found.rows[source.table]
                hits = [i for i in ids if i not in printed and held.get(i) == 0]
            for i in hits:
                printed[i] = f"{source.prefix}{i}"
        converters[field.position] = partial(_print_owner if field.owner else _print_reference, printed)


def _print_reference(printed: dict[int, str], stored: Any) -> str:
    return "" if stored in (None, "") else printed.get(int(stored), "")


def _print_owner(printed: dict[int, str], stored: Any) -> str:
    return "" if stored is None else printed.get(int(stored), str(stored))


_BATCH_KINDS = frozenset({"reference", "owner"})
# Layouts of explicit field lists (query's select list) kept per module: a bound on what a client
# sending ever-new select lists can make the server keep.
_MAX_LAYOUTS = 256


@dataclass(frozen=True)
class _Layout:
    """How records of one module print for one shape of request: keys in output order, the column
    each comes from, and its printer; worked out once per module and shape, not per request."""

    names: tuple[str, ...]
    columns: tuple[str, ...]
    converters: tuple[Callable[[Any], Any], ...]  # placeholders where the batch decides
    batch: tuple[_BatchField, ...]  # reference / owner fields: printed per batch
    order: tuple[str, ...] | None
    labelled: bool  # records carry a label (retrieve of CRM records)
    label_inside: bool  # the label is not the last key (Products): keys are reordered after it
    with_files: bool  # modules with file fields list their attachments


def _static_converter(f: FieldMeta) -> Callable[[Any], Any]:
    if f.special == "inventoryCharges":
        return specials.charge_output
    if f.special == "productCurrency" and f.kind == "decimal":
        return _json_number
    return output_converter(f)


def _layout(
    modules: ModuleRegistry,
    module: ModuleMeta,
    fields: Sequence[FieldMeta] | None,
    *,
    with_label: bool,
    with_id: bool,
    as_query: bool,
) -> _Layout:
    names_key = None if fields is None else tuple(f.name for f in fields)
    key = ("layout", names_key, with_label, with_id, as_query)
    layouts: dict[Any, _Layout] = module.memo.setdefault("layouts", {})
    found = layouts.get(key)
    if found is not None:
        return found
    shown = list(module.fields) if fields is None else list(fields)
    blank = module.query_blank if as_query else ()
    printing: list[tuple[str, str, Callable[[Any], Any], FieldMeta | None]] = []
    for f in shown:
        if f.name in blank:
            printing.append((f.name, f.col, _blank, None))
        elif f.kind in _BATCH_KINDS:
            printing.append((f.name, f.col, _blank, f))
        else:
            printing.append((f.name, f.col, _static_converter(f), None))
    if with_id:
        printing.append(("id", "crmid", partial(_ws_id, module.id_prefix), None))
    order = module.retrieve_order if with_label else (module.query_order if fields is None else None)
    if order:
        by_key = {entry[0]: entry for entry in printing}
        printing = [by_key[k] for k in order if k in by_key]
    labelled = with_label and module.kind == "crm" and (order is None or "label" in order)
    found = _Layout(
        names=tuple(entry[0] for entry in printing),
        columns=tuple(entry[1] for entry in printing),
        converters=tuple(entry[2] for entry in printing),
        batch=tuple(
            _BatchField(i, f.col, f.kind == "owner", _sources(modules, f))
            for i, (_, _, _, f) in enumerate(printing)
            if f is not None
        ),
        order=order,
        labelled=labelled,
        label_inside=labelled and order is not None and order[-1] != "label",
        with_files=with_id and any(f.uitype in FILE_UITYPES for f in module.fields),
    )
    if fields is None or len(layouts) < _MAX_LAYOUTS:
        layouts[key] = found
    return found


def _blank(_stored: Any) -> str:
    return ""


def _ws_id(prefix: int, record_id: Any) -> str:
    return f"{prefix}x{record_id}"


def _json_number(stored: Any) -> int | float:
    """Printed as a raw JSON number: the one non-string value of a retrieve (Products currency1)."""
    number = float(stored or 0)
    return int(number) if number.is_integer() else number


def _supplied(element: Any) -> set[str]:
    return set(element) if isinstance(element, dict) else set()
