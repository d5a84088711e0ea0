"""Module metadata: what a module is, which fields it has, and how each field's values behave.

Loaded once from a profile's `modules/<Name>.json` files (see fixtures/README.md); nothing here is
hard-coded per module.  The rest of the code asks these objects instead of branching on names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# uitype 52: a user reference the server fills in (modifiedby, creator).
USER_REFERENCE_UITYPE = 52

# How a field's value is stored and printed.  The webservice type (`type_name`) is what describe
# shows; `kind` is what the store and the value converters need.
FieldKind = Literal[
    "string",  # TEXT, printed as stored
    "integer",  # INTEGER, printed "0", "42"
    "decimal",  # REAL, printed with `scale` decimals
    "boolean",  # INTEGER 0/1, printed "0"/"1"
    "onoff",  # TEXT "on"/"off" (Users.is_admin)
    "date",  # TEXT YYYY-MM-DD or NULL
    "datetime",  # TEXT YYYY-MM-DD HH:MM:SS or NULL
    "time",  # TEXT HH:MM[:SS] or NULL
    "reference",  # INTEGER record id, printed <prefix>x<id> or ""
    "owner",  # INTEGER user or group id, printed 19x<id> / 20x<id>
    "multipicklist",  # TEXT joined with " |##| "
]

ModuleKind = Literal["crm", "users", "actor", "lineitem"]


@dataclass(frozen=True, slots=True)
class FieldMeta:
    name: str
    kind: FieldKind
    type_name: str  # webservice type name: string, picklist, reference, owner, currency, ...
    uitype: int
    mandatory: bool
    # Input for this field is ignored on create/update (record numbers, displaytype-2 fields).
    readonly: bool = False
    refers_to: tuple[str, ...] = ()
    scale: int | None = None
    # Stored value when a create does not supply the field (None = SQL NULL).
    default: Any = None
    # Verbatim describe entry; None when describe hides the field (presence 1) but retrieve shows it.
    describe: dict[str, Any] | None = None
    # Physical column name in the module's table; defaults to the field name.
    column: str = ""
    # A value rule beyond the kind (fixtures/README.md: computedDuration, emailParent, ...).
    special: str | None = None
    presence: int = 0  # 1 = hidden from describe (still printed by retrieve for admins)
    # The column the value lives in: `column`, else the name.  Stored, not a property: every write
    # and print asks it of every field.
    col: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "col", self.column or self.name)


@dataclass(frozen=True, slots=True)
class Numbering:
    field: str
    prefix: str
    start: str  # kept as text: leading zeros of the counter are preserved


@dataclass(frozen=True, slots=True)
class Selector:
    """Picks the module of a row in a table shared by several modules (Calendar/Events/Emails)."""

    field: str
    equals: tuple[str, ...] = ()
    not_in: tuple[str, ...] = ()

    def matches(self, value: str | None) -> bool:
        v = value or ""
        if self.equals:
            return v in self.equals
        return v not in self.not_in


@dataclass(frozen=True, slots=True)
class ModuleMeta:
    name: str
    label: str
    singular: str
    id_prefix: int
    is_entity: bool
    kind: ModuleKind
    table: str
    # Vtiger's handler class; "VtigerInventoryOperation" modules carry line items.
    handler: str
    fields: tuple[FieldMeta, ...]  # in retrieve/query output order, `id` excluded
    label_fields: tuple[str, ...] = ()
    allow_duplicates: bool = True
    unique_field: str | None = None  # checked case-insensitively when allow_duplicates is false
    numbering: Numbering | None = None
    selector: Selector | None = None
    # Module-level describe keys, verbatim, without "fields" (label, name, createable, ...).
    describe: dict[str, Any] = field(default_factory=dict)
    # Primary-key column name shown as the label of describe's synthetic `id` field, etc.
    id_column: str = "id"
    # Key order of retrieve results / `select *` rows where it is not simply fields + id (+ label).
    retrieve_order: tuple[str, ...] | None = None
    query_order: tuple[str, ...] | None = None
    # Fields a query prints empty although retrieve prints them (Users' currency preferences).
    query_blank: tuple[str, ...] = ()
    describe_order: tuple[str, ...] | None = None
    id_field: dict[str, Any] | None = None
    by_name: dict[str, FieldMeta] = field(default_factory=dict, compare=False)
    # Structures derived from the (immutable) metadata, built on first use: describe output, …
    memo: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_name.update({f.name: f for f in self.fields})

    def field(self, name: str) -> FieldMeta | None:
        return self.by_name.get(name)

    @property
    def mandatory_fields(self) -> tuple[FieldMeta, ...]:
        found: tuple[FieldMeta, ...] | None = self.memo.get("mandatory")
        if found is None:
            found = self.memo["mandatory"] = tuple(f for f in self.fields if f.mandatory)
        return found

    def fields_with(self, special: str) -> tuple[FieldMeta, ...]:
        """The fields tagged `special` (crm/specials.py): looked for on every write, worked out once."""
        key = f"special:{special}"
        found: tuple[FieldMeta, ...] | None = self.memo.get(key)
        if found is None:
            found = self.memo[key] = tuple(f for f in self.fields if f.special == special)
        return found

    @property
    def owner_field(self) -> FieldMeta | None:
        """The first owner field (assigned_user_id), whose value crmentity keeps as smownerid."""
        if "owner" not in self.memo:
            self.memo["owner"] = next((f for f in self.fields if f.kind == "owner"), None)
        found: FieldMeta | None = self.memo["owner"]
        return found

    @property
    def default_row(self) -> dict[str, Any]:
        """Every column of a new record with its default: what a create does not set.  Shared:
        copied, never changed."""
        found: dict[str, Any] | None = self.memo.get("default_row")
        if found is None:
            found = self.memo["default_row"] = {f.col: f.default for f in self.fields}
        return found

    @property
    def creator_columns(self) -> tuple[str, ...]:
        """Readonly user references (creator, smcreatorid): they name whoever created the record."""
        found: tuple[str, ...] | None = self.memo.get("creator_columns")
        if found is None:
            found = self.memo["creator_columns"] = tuple(
                f.col for f in self.fields if f.readonly and f.uitype == USER_REFERENCE_UITYPE
            )
        return found

    @property
    def is_inventory(self) -> bool:
        return self.handler == "VtigerInventoryOperation"

    @property
    def ws_prefix(self) -> str:
        return f"{self.id_prefix}x"


def _field_from_json(data: dict[str, Any]) -> FieldMeta:
    return FieldMeta(
        name=data["name"],
        kind=data["kind"],
        type_name=data["type"],
        uitype=int(data.get("uitype", 1)),
        mandatory=bool(data.get("mandatory", False)),
        readonly=bool(data.get("readonly", False)),
        refers_to=tuple(data.get("refersTo", ())),
        scale=data.get("scale"),
        default=data.get("default"),
        describe=data.get("describe"),
        column=data.get("column", ""),
        special=data.get("special"),
        presence=int(data.get("presence", 0)),
    )


def module_from_json(data: dict[str, Any]) -> ModuleMeta:
    numbering = data.get("numbering")
    selector = data.get("selector")
    return ModuleMeta(
        name=data["name"],
        label=data["label"],
        singular=data.get("singular", data["label"]),
        id_prefix=int(data["idPrefix"]),
        is_entity=bool(data["isEntity"]),
        kind=data["kind"],
        table=data["table"],
        handler=data.get("handler", "VtigerModuleOperation"),
        fields=tuple(_field_from_json(f) for f in data["fields"]),
        label_fields=tuple(data.get("labelFields", ())),
        allow_duplicates=bool(data.get("allowDuplicates", True)),
        unique_field=data.get("uniqueField"),
        numbering=Numbering(**numbering) if numbering else None,
        selector=(
            Selector(
                field=selector["field"],
                equals=tuple(selector.get("equals", ())),
                not_in=tuple(selector.get("not_in", ())),
            )
            if selector
            else None
        ),
        describe=data.get("describe", {}),
        id_column=data.get("idColumn", "id"),
        retrieve_order=_names(data.get("retrieveOrder")),
        query_order=_names(data.get("queryOrder")),
        query_blank=_names(data.get("queryBlank")) or (),
        describe_order=_names(data.get("describeOrder")),
        id_field=data.get("idField"),
    )


def _names(value: list[str] | None) -> tuple[str, ...] | None:
    return tuple(value) if value else None


def load_modules(directory: Path) -> list[ModuleMeta]:
    modules = [
        module_from_json(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(directory.glob("*.json"))
    ]
    return sorted(modules, key=lambda m: m.id_prefix)
