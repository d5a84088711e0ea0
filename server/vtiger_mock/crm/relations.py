"""Relations between records (spec §9): the relation model of a profile and the link store.

The model is `relations.json` (fixtures/README.md, "Relations"): per source module, the rows of
vtiger_relatedlists in relation_id order, each saying how Vtiger's related-list function finds the
related records - through a reference field, through a link table, through line items - and where
add_related writes a link (save_related_module).  No HTTP in here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.database import CONVERTED, DELETED, Database
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.records import MODIFIED_BY, MODIFIED_TIME
from vtiger_mock.crm.schema import ModuleMeta

if TYPE_CHECKING:
    pass

RELATIONS_FILE = "relations.json"

Side = Literal["crmid", "relcrmid"]


@dataclass(frozen=True)
class Via:
    """Look from other records than the source: the live `module` records whose `field` points at
    it (Accounts' lists also cover what hangs off the account's contacts)."""

    module: str
    field: str


@dataclass(frozen=True)
class Finder:
    """One way a related-list function reaches related records, from the anchor records."""

    kind: Literal["field", "sourceField", "link", "through"]
    field: str = ""  # field: the target's reference field; sourceField: the anchor's
    store: str = ""  # link: the link table read
    side: Side | None = None  # link: the side the anchor must be on (None: either)
    through: str = ""  # through: intermediate module (LineItem) ...
    match: str = ""  # ... whose `match` field holds the anchor ...
    pick: str = ""  # ... and whose `pick` field holds the target
    via: Via | None = None


@dataclass(frozen=True)
class Condition:
    field: str
    values: tuple[str, ...]
    negate: bool  # notIn rather than in


@dataclass(frozen=True)
class Relation:
    source: str
    label: str
    module: str
    function: str
    finders: tuple[Finder, ...]
    # Alternatives (OR) of conditions (AND) on the target row, e.g. open vs closed activities.
    where: tuple[tuple[Condition, ...], ...] = ()


@dataclass(frozen=True)
class AddRule:
    source: str  # module name or "*"
    target: str
    store: str | None = None
    source_side: Side = "crmid"
    set_field: str | None = None  # instead of a link: set this reference field of the target


class RelationModel:
    def __init__(self, relations: Mapping[str, tuple[Relation, ...]], add_rules: Iterable[AddRule]) -> None:
        self.relations = dict(relations)
        self.add_rules = tuple(add_rules)

    @classmethod
    def load(cls, path: Path) -> RelationModel:
        if not path.exists():
            return cls({}, ())
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        relations = {
            source: tuple(_relation_from_json(source, entry) for entry in entries)
            for source, entries in data.get("relations", {}).items()
        }
        rules = (
            AddRule(
                source=r["source"],
                target=r["target"],
                store=r.get("store"),
                source_side=r.get("sourceSide", "crmid"),
                set_field=r.get("setField"),
            )
            for r in data.get("addRules", [])
        )
        return cls(relations, rules)

    def of(self, module_name: str) -> tuple[Relation, ...]:
        return self.relations.get(module_name, ())

    def for_add(self, source: str, target: str, label: str | None) -> Relation | None:
        """Vtiger_Relation_Model::getInstance: the first relation between the two modules, with the
        label when one is given (MySQL compares it case-insensitively)."""
        for relation in self.of(source):
            if relation.module == target and (label is None or relation.label.lower() == label.lower()):
                return relation
        return None

    def add_rule(self, source: str, target: str) -> AddRule | None:
        for rule in self.add_rules:
            if rule.source in (source, "*") and rule.target in (target, "*"):
                return rule
        return None


def _relation_from_json(source: str, entry: Mapping[str, Any]) -> Relation:
    return Relation(
        source=source,
        label=entry["label"],
        module=entry["module"],
        function=entry.get("function", ""),
        finders=tuple(_finder_from_json(f) for f in entry.get("find", [])),
        where=tuple(
            tuple(
                Condition(c["field"], tuple(c.get("in", c.get("notIn", []))), "notIn" in c)
                for c in alternative
            )
            for alternative in entry.get("where", [])
        ),
    )


def _finder_from_json(data: Mapping[str, Any]) -> Finder:
    via = Via(data["via"]["module"], data["via"]["field"]) if "via" in data else None
    if "link" in data:
        return Finder("link", store=data["link"], side=data.get("side"), via=via)
    if "through" in data:
        return Finder("through", through=data["through"], match=data["match"], pick=data["pick"], via=via)
    if "sourceField" in data:
        return Finder("sourceField", field=data["sourceField"], via=via)
    return Finder("field", field=data["field"], via=via)


class Relations:
    """Answers relation questions against the database, following a RelationModel."""

    def __init__(self, db: Database, modules: ModuleRegistry, clock: Clock, model: RelationModel) -> None:
        self.db = db
        self.modules = modules
        self.clock = clock
        self.model = model

    # ---------------------------------------------------------------- relatedtypes

    def related_types(self, module_name: str, allowed: Collection[str]) -> dict[str, Any]:
        """RelatedTypes.php: `types` keeps duplicates (one module under several labels);
        `information` is keyed by label, so a repeated label keeps its first position."""
        types: list[str] = []
        information: dict[str, dict[str, str]] = {}
        for relation in self.model.of(module_name):
            target = self.modules.get(relation.module)
            if target is None or relation.module not in allowed:
                continue
            types.append(relation.module)
            information[relation.label] = {
                "name": relation.module,
                "label": relation.label,
                "isEntity": "1" if target.is_entity else "0",  # vtiger_tab.isentitytype, a DB string
            }
        return {"types": types, "information": information or []}  # PHP prints an empty array as []

    # ---------------------------------------------------------------- finding related records

    def related_ids(self, conn: Connection, relation: Relation, source_id: int) -> list[int]:
        """The live records of `relation.module` related to record `source_id`, in id order."""
        target = self.modules.get(relation.module)
        if target is None or target.kind != "crm":
            return []
        candidates: set[int] = set()
        for finder in relation.finders:
            anchor_module, anchors = self._anchors(conn, relation, finder.via, source_id)
            if anchors:
                candidates |= self._reach(conn, finder, target, anchor_module, anchors)
        return self._live(conn, target, relation.where, candidates)

    def _anchors(
        self, conn: Connection, relation: Relation, via: Via | None, source_id: int
    ) -> tuple[ModuleMeta | None, set[int]]:
        if via is None:
            return self.modules.get(relation.source), {source_id}
        module = self.modules.get(via.module)
        f = module.field(via.field) if module is not None else None
        if module is None or f is None:
            return None, set()
        table = self.db.table_for(module)
        rows = conn.execute(
            sa.select(table.c.crmid).where(table.c[f.col] == source_id, *self._alive(module, table))
        ).scalars()
        return module, set(rows)

    def _reach(
        self,
        conn: Connection,
        finder: Finder,
        target: ModuleMeta,
        anchor_module: ModuleMeta | None,
        anchors: set[int],
    ) -> set[int]:
        if finder.kind == "field":
            f = target.field(finder.field)
            if f is None:
                return set()
            table = self.db.table_for(target)
            return set(conn.execute(sa.select(table.c.crmid).where(table.c[f.col].in_(anchors))).scalars())
        if finder.kind == "sourceField":
            f = anchor_module.field(finder.field) if anchor_module is not None else None
            if anchor_module is None or f is None:
                return set()
            table = self.db.table_for(anchor_module)
            values = conn.execute(sa.select(table.c[f.col]).where(table.c.crmid.in_(anchors))).scalars()
            return {int(v) for v in values if v is not None}
        if finder.kind == "link":
            rel = self.db.crmentityrel
            found: set[int] = set()
            if finder.side != "relcrmid":
                found.update(
                    conn.execute(
                        sa.select(rel.c.relcrmid).where(rel.c.store == finder.store, rel.c.crmid.in_(anchors))
                    ).scalars()
                )
            if finder.side != "crmid":
                found.update(
                    conn.execute(
                        sa.select(rel.c.crmid).where(rel.c.store == finder.store, rel.c.relcrmid.in_(anchors))
                    ).scalars()
                )
            return found
        middle = self.modules.get(finder.through)
        match = middle.field(finder.match) if middle is not None else None
        pick = middle.field(finder.pick) if middle is not None else None
        if middle is None or match is None or pick is None:
            return set()
        table = self.db.table_for(middle)
        values = conn.execute(
            sa.select(table.c[pick.col]).where(table.c[match.col].in_(anchors), table.c[DELETED] == 0)
        ).scalars()
        return {int(v) for v in values if v is not None}

    def _live(
        self,
        conn: Connection,
        target: ModuleMeta,
        where: tuple[tuple[Condition, ...], ...],
        candidates: set[int],
    ) -> list[int]:
        if not candidates:
            return []
        table = self.db.table_for(target)
        clauses = [table.c.crmid.in_(candidates), *self._alive(target, table)]
        alternatives = [self._conditions(target, table, conditions) for conditions in where]
        if alternatives:
            clauses.append(sa.or_(*alternatives))
        return list(conn.execute(sa.select(table.c.crmid).where(*clauses).order_by(table.c.crmid)).scalars())

    def _alive(self, module: ModuleMeta, table: sa.Table) -> list[ColumnElement[bool]]:
        """Live rows of the module (the relation queries join vtiger_crmentity with deleted = 0
        and hide converted leads); a shared table contributes only the module's own rows."""
        clauses: list[ColumnElement[bool]] = [table.c[DELETED] == 0, table.c[CONVERTED] == 0]
        sel = module.selector
        if sel is not None and (f := module.field(sel.field)) is not None:
            column = sa.func.coalesce(table.c[f.col], "")
            clauses.append(column.in_(sel.equals) if sel.equals else column.not_in(sel.not_in))
        return clauses

    def _conditions(
        self, module: ModuleMeta, table: sa.Table, conditions: tuple[Condition, ...]
    ) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        for c in conditions:
            f = module.field(c.field)
            if f is None:
                continue
            column = sa.func.coalesce(table.c[f.col], "")
            parts.append(column.not_in(c.values) if c.negate else column.in_(c.values))
        return sa.and_(sa.true(), *parts)

    # ---------------------------------------------------------------- adding links

    def add(
        self, conn: Connection, relation: Relation, source_id: int, target_id: int | None, user_id: int
    ) -> None:
        """relateEntities(): save_related_module's write, then trackLinkedInfo() stamps the source
        record as modified now by the user (so the link shows in sync)."""
        rule = self.model.add_rule(relation.source, relation.module)
        if rule is not None and target_id is not None:
            if rule.set_field is not None:
                self._set_reference(conn, relation.module, rule.set_field, target_id, source_id)
            elif rule.store is not None:
                self.link(
                    conn, rule.store, relation.source, source_id, relation.module, target_id, rule.source_side
                )
        self.touch(conn, source_id, user_id)

    def link(
        self,
        conn: Connection,
        store: str,
        source: str,
        source_id: int,
        target: str,
        target_id: int,
        source_side: Side = "crmid",
    ) -> None:
        if source_side == "crmid":
            row = {"crmid": source_id, "module": source, "relcrmid": target_id, "relmodule": target}
        else:
            row = {"crmid": target_id, "module": target, "relcrmid": source_id, "relmodule": source}
        rel = self.db.crmentityrel
        exists = conn.execute(
            sa.select(rel.c.crmid).where(
                rel.c.store == store, rel.c.crmid == row["crmid"], rel.c.relcrmid == row["relcrmid"]
            )
        ).first()
        if exists is None:  # save_related_module skips a link that is already there
            conn.execute(rel.insert().values(store=store, **row))

    def _set_reference(
        self, conn: Connection, module_name: str, field: str, record_id: int, value: int
    ) -> None:
        module = self.modules.get(module_name)
        f = module.field(field) if module is not None else None
        if module is None or f is None:
            return
        table = self.db.table_for(module)
        # A plain UPDATE in Vtiger (Vendors → Products): the product's modifiedtime stays.
        conn.execute(table.update().where(table.c.crmid == record_id).values({f.col: value}))

    def touch(self, conn: Connection, record_id: int, user_id: int) -> None:
        ent = self.db.crmentity
        setype = conn.execute(sa.select(ent.c.setype).where(ent.c.crmid == record_id)).scalar()
        module = self.modules.get(setype) if setype is not None else None
        if module is None:
            return
        now = self.clock.timestamp()
        conn.execute(ent.update().where(ent.c.crmid == record_id).values(modifiedtime=now))
        stamp: dict[str, Any] = {}
        if (f := module.field(MODIFIED_TIME)) is not None:
            stamp[f.col] = now
        if (f := module.field(MODIFIED_BY)) is not None:
            stamp[f.col] = user_id
        if stamp:
            table = self.db.table_for(module)
            conn.execute(table.update().where(table.c.crmid == record_id).values(stamp))
