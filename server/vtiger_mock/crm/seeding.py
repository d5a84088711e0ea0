"""Fixture records in and out: seed data (`--seed-data demo|FILE`), the demo set, synthetic sets,
dumps in the same format, and users created through the admin API.

The format is the one `CRM.load_records` reads: `{"<Module>": [record, ...]}` where a record maps
field names to *printed* values (as retrieve prints them: every value a string, references as
`<prefix>x<id>`).  Loading is forgiving in what it fills in and strict in what it accepts:

- a missing `id` is assigned (the record-id sequence for CRM modules, max+1 for Users and other
  actors); a given id whose record exists already replaces it, so a dump loads back on top of a
  fresh install;
- a missing record number (`account_no`, ...) is assigned from the module's counter, and every
  counter — and the record-id sequence — is moved past what was loaded, so later creates never
  collide with loaded records;
- other missing fields get the values a create would give them (field defaults, `createdtime` /
  `modifiedtime` = now, owner and creator = the admin user);
- unknown modules, unknown fields and ids of the wrong module are errors (SeedDataError), so that a
  typo in a fixture file is reported rather than silently dropped.

Inventory records may carry `LineItems` (Vtiger's create format: productid, quantity, listprice,
…); they are stored with the record and its totals computed, and a dump writes them back.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm import database
from vtiger_mock.crm.database import DELETED
from vtiger_mock.crm.schema import FieldMeta, ModuleMeta
from vtiger_mock.crm.state import ACCESS_KEY_PLACEHOLDER, CRM
from vtiger_mock.crm.users import hash_password
from vtiger_mock.crm.values import split_ws_id, to_output

DEMO = "demo"
Fixture = dict[str, list[dict[str, Any]]]

# Keys a fixture record may carry besides its module's fields (`label` is in every retrieve).
_EXTRA_KEYS = frozenset({"id", "label", "LineItems"})
# What a dumped line item keeps: the create format's keys (the rest is computed on load).
_LINE_KEYS = (
    "productid",
    "quantity",
    "listprice",
    "comment",
    "description",
    "discount_percent",
    "discount_amount",
)
_CRMID = "crmid"
_ACCESS_KEY_CHARS = string.ascii_letters + string.digits
# Vtiger's fresh-install roles: H2 is the CEO role the admin has, H5 the plain sales person.
ADMIN_ROLE = "H2"
USER_ROLE = "H5"
# The Users fields that identify a user; everything else of a new user is copied from the admin
# (time zone, date format, currency, calendar preferences), as Vtiger's "new user" form does.
_USER_IDENTITY = frozenset(
    {
        "id",
        "user_name",
        "is_admin",
        "first_name",
        "last_name",
        "email1",
        "roleid",
        "status",
        "accesskey",
        "user_password",
        "confirm_password",
        "userlabel",
        "is_owner",
    }
)


class SeedDataError(ValueError):
    """Fixture data that cannot be loaded; the message says which module, record and field."""


class UserExists(ValueError):
    pass


def demo_file(fixtures_dir: Path) -> Path:
    return fixtures_dir / "demo" / "records.json"


def read_fixture(source: str, fixtures_dir: Path) -> Fixture:
    """`demo` or a path to fixture JSON → records, with the file's shape checked."""
    path = demo_file(fixtures_dir) if source == DEMO else Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedDataError(f"cannot read seed data {str(path)!r}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SeedDataError(f"{path}: not valid JSON ({exc})") from None
    return check_fixture(data, str(path))


def check_fixture(data: Any, origin: str = "seed data") -> Fixture:
    if not isinstance(data, dict):
        raise SeedDataError(f"{origin}: expected an object of module name → list of records")
    for module, rows in data.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise SeedDataError(f"{origin}: {module!r} must be a list of record objects")
    return data


def _printed(value: Any, where: str) -> str:
    """Values of hand-written fixtures may be JSON numbers or booleans; the store wants strings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise SeedDataError(f"{where}: expected a string, number or boolean, got {type(value).__name__}")


@dataclass(frozen=True)
class _Defaults:
    owner: str | None
    actors: list[str]
    computed: list[FieldMeta]
    fixed: dict[str, str]
    times: bool


@dataclass
class _Pending:
    module: ModuleMeta
    record: dict[str, Any]
    record_id: int | None


class Seeder:
    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self.modules = crm.modules
        self.db = crm.db
        self._users = crm.modules["Users"]
        self._template: dict[str, str] | None = None

    # ================================================================== loading

    def load(self, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, int]:
        """Load fixture records in one transaction; returns how many records of each module."""
        with self.db.transaction("write") as conn:
            return self.load_in(conn, records)

    def load_in(self, conn: Connection, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, int]:
        pending = self._parse(records)
        self._assign_ids(conn, pending)
        self._assign_numbers(conn, pending)
        self._complete(conn, pending)
        self._replace_existing(conn, pending)
        grouped: Fixture = {}
        for p in pending:
            grouped.setdefault(p.module.name, []).append(p.record)
        self.crm.load_records(conn, grouped)
        return {name: len(rows) for name, rows in grouped.items()}

    def load_synthetic(
        self,
        counts: Mapping[str, int],
        *,
        seed: int,
        chunk: int = 2000,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, int]:
        """Generate and load a synthetic set, `chunk` records per transaction (memory stays flat
        whatever the size); `progress(n)` is called after each chunk with the records just loaded."""
        from vtiger_mock.crm.synthetic import SyntheticData

        with self.db.transaction() as conn:
            first_id = self._sequence_value(conn, _CRMID) + 1
            owners = self._active_user_ids(conn)
        data = SyntheticData(self.modules, counts, seed=seed, first_id=first_id, owners=owners)
        loaded: dict[str, int] = {}
        for batch in _chunks(data.records(), chunk):
            grouped: Fixture = {}
            for module_name, record in batch:
                grouped.setdefault(module_name, []).append(record)
            for name, n in self.load(grouped).items():
                loaded[name] = loaded.get(name, 0) + n
            if progress is not None:
                progress(len(batch))
        return loaded

    def _parse(self, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[_Pending]:
        unknown = [name for name in records if self.modules.get(name) is None]
        if unknown:
            raise SeedDataError(f"unknown module(s): {', '.join(sorted(unknown))}")
        pending: list[_Pending] = []
        seen_crm: dict[int, str] = {}
        seen_actor: dict[tuple[str, int], str] = {}
        for name, rows in records.items():
            module = self.modules[name]
            if module.kind == "lineitem":
                raise SeedDataError(f"{name}: line items are loaded as LineItems of their inventory record")
            allowed = {f.name for f in module.fields} | _EXTRA_KEYS
            allowed |= set(module.retrieve_order or ()) | set(module.query_order or ())
            for index, raw in enumerate(rows):
                where = f"{name}[{index}]"
                extra = set(raw) - allowed
                if extra:
                    raise SeedDataError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
                if "LineItems" in raw and (not module.is_inventory or not isinstance(raw["LineItems"], list)):
                    raise SeedDataError(f"{where}: LineItems must be a list, on inventory modules only")
                record = {
                    k: (v if type(v) is str or k == "LineItems" else _printed(v, f"{where}.{k}"))
                    for k, v in raw.items()
                    if k != "label"
                }
                record_id = self._parse_id(module, record.get("id"), where)
                if record_id is not None:
                    if module.kind == "crm":
                        if record_id in seen_crm:
                            raise SeedDataError(
                                f"{where}: record id {record_id} is also {seen_crm[record_id]}"
                            )
                        seen_crm[record_id] = where
                    else:
                        key = (module.table, record_id)
                        if key in seen_actor:
                            raise SeedDataError(f"{where}: id {record['id']} appears twice")
                        seen_actor[key] = where
                pending.append(_Pending(module, record, record_id))
        return pending

    def _parse_id(self, module: ModuleMeta, value: str | None, where: str) -> int | None:
        if value in (None, ""):
            return None
        assert value is not None
        prefix, number = split_ws_id(value)
        if prefix != str(module.id_prefix) or not number.isdigit() or int(number) <= 0:
            raise SeedDataError(
                f"{where}: id {value!r} is not a {module.name} id ({module.id_prefix}x<number>)"
            )
        return int(number)

    # ------------------------------------------------------------------ ids and numbers

    def _assign_ids(self, conn: Connection, pending: list[_Pending]) -> None:
        crm_ids = [p.record_id for p in pending if p.module.kind == "crm" and p.record_id is not None]
        next_crm = max([self._sequence_value(conn, _CRMID), *crm_ids]) + 1
        next_actor: dict[str, int] = {}
        for p in pending:
            if p.record_id is not None:
                continue
            if p.module.kind == "crm":
                p.record_id, next_crm = next_crm, next_crm + 1
            else:
                table = p.module.table
                if table not in next_actor:
                    next_actor[table] = self._first_free_actor_id(conn, p.module, pending)
                p.record_id = next_actor[table]
                next_actor[table] += 1
            p.record["id"] = f"{p.module.id_prefix}x{p.record_id}"
        if crm_ids or any(p.module.kind == "crm" for p in pending):
            self._raise_sequence(conn, _CRMID, next_crm - 1)

    def _first_free_actor_id(self, conn: Connection, module: ModuleMeta, pending: list[_Pending]) -> int:
        table = self.db.table_for(module)
        stored = conn.execute(sa.select(sa.func.max(table.c.crmid))).scalar() or 0
        given = [p.record_id or 0 for p in pending if p.module.table == module.table]
        floor = self.crm.profile.first_user_id - 1 if module.kind == "users" else 0
        return max(int(stored), floor, *given) + 1

    def _assign_numbers(self, conn: Connection, pending: list[_Pending]) -> None:
        by_module: dict[str, list[_Pending]] = {}
        for p in pending:
            if p.module.numbering is not None:
                by_module.setdefault(p.module.name, []).append(p)
        for name, items in by_module.items():
            numbering = items[0].module.numbering
            assert numbering is not None
            counter_name = f"num:{name}"
            counter = self._sequence_text(conn, counter_name) or numbering.start
            # Move past every given number first, so an assigned one can never equal a later given one.
            for p in items:
                given = p.record.get(numbering.field, "")
                if given.startswith(numbering.prefix) and given[len(numbering.prefix) :].isdigit():
                    digits = given[len(numbering.prefix) :]
                    if int(digits) + 1 > int(counter):
                        counter = str(int(digits) + 1).zfill(len(digits))
            for p in items:
                if not p.record.get(numbering.field):
                    p.record[numbering.field] = f"{numbering.prefix}{counter}"
                    counter = str(int(counter) + 1).zfill(len(counter))
            self._set_sequence(conn, counter_name, counter)

    # ------------------------------------------------------------------ defaults

    def _complete(self, conn: Connection, pending: list[_Pending]) -> None:
        now = self.crm.clock.timestamp()
        user_prefix = f"{self._users.id_prefix}x"
        admin = f"{user_prefix}{self._admin_id(conn)}"
        plans: dict[str, _Defaults] = {}
        for p in pending:
            record, module = p.record, p.module
            plan = plans.get(module.name)
            if plan is None:
                plan = plans[module.name] = self.defaults_for(module)
            if module.kind == "users":
                self._complete_user(record, self.user_template())
            if plan.owner is not None and not record.get(plan.owner):
                record[plan.owner] = admin
            owner_value = record.get(plan.owner, "") if plan.owner is not None else ""
            acting = owner_value if owner_value.startswith(user_prefix) else admin
            if plan.times:
                if not record.get("createdtime"):
                    record["createdtime"] = now
                if not record.get("modifiedtime"):
                    record["modifiedtime"] = record["createdtime"]
            for name in plan.actors:
                if name not in record:
                    record[name] = acting  # creator / modifiedby: whoever owns the record
            for f in plan.computed:
                if f.name not in record:
                    record[f.name] = self._printed_default(module, f, record)
            for name, value in plan.fixed.items():
                if name not in record:
                    record[name] = value

    def defaults_for(self, module: ModuleMeta) -> _Defaults:
        """What a module's missing fields are filled with, worked out once per module and load."""
        owner = next((f.name for f in module.fields if f.kind == "owner"), None)
        actors = [
            f.name
            for f in module.fields
            if f.readonly and f.type_name == "reference" and f.refers_to == ("Users",)
        ]
        computed = [f for f in module.fields if f.special in ("computedForecast", "productCurrency")]
        skip = {owner, "createdtime", "modifiedtime", *actors, *(f.name for f in computed)}
        fixed = {f.name: self._printed_default(module, f, {}) for f in module.fields if f.name not in skip}
        times = "createdtime" in module.by_name or "modifiedtime" in module.by_name
        return _Defaults(owner, actors, computed, fixed, times)

    def _printed_default(self, module: ModuleMeta, f: FieldMeta, record: Mapping[str, Any]) -> str:
        if f.special == "computedForecast":
            amount = _float(record.get("amount"))
            probability = _float(record.get("probability"))
            return to_output(f, amount * probability / 100)
        if f.special == "productCurrency" and f.kind == "decimal":
            return to_output(f, _float(record.get("unit_price")))
        if f.default is None:
            return ""
        if f.kind == "reference" and f.refers_to:
            target = self.modules.get(f.refers_to[0])
            if target is not None:
                return f"{target.id_prefix}x{f.default}"
        return to_output(f, f.default)

    def user_template(self) -> dict[str, str]:
        if self._template is None:
            initial = json.loads((self.crm.profile.directory / "initial.json").read_text(encoding="utf-8"))
            users = initial.get("Users") or [{}]
            self._template = {k: str(v) for k, v in users[0].items() if k not in _USER_IDENTITY}
        return self._template

    def _complete_user(self, record: dict[str, Any], template: Mapping[str, str]) -> None:
        for key, value in template.items():
            record.setdefault(key, value)
        if record.get("accesskey") == ACCESS_KEY_PLACEHOLDER:
            record["accesskey"] = self.crm.admin_access_key
        is_admin = record.get("is_admin") == "on"
        record.setdefault("is_admin", "off")
        record.setdefault("roleid", ADMIN_ROLE if is_admin else USER_ROLE)
        record.setdefault("status", "Active")
        record.setdefault("is_owner", "0")
        record.setdefault("last_name", record.get("user_name", ""))
        record.setdefault("email1", f"{record.get('user_name', 'user')}@example.com")
        label = " ".join(x for x in (record.get("first_name", ""), record.get("last_name", "")) if x)
        record.setdefault("userlabel", label)

    def _replace_existing(self, conn: Connection, pending: list[_Pending]) -> None:
        """Ids that exist already are replaced: delete the old rows, whatever module they are in."""
        ent = self.db.crmentity
        crm_ids = [p.record_id for p in pending if p.module.kind == "crm" and p.record_id is not None]
        for ids in _slices(crm_ids, 500):
            existing = conn.execute(sa.select(ent.c.crmid, ent.c.setype).where(ent.c.crmid.in_(ids))).all()
            for crmid, setype in existing:
                old = self.modules.get(setype)
                if old is not None:
                    table = self.db.table_for(old)
                    conn.execute(table.delete().where(table.c.crmid == crmid))
            if existing:
                conn.execute(ent.delete().where(ent.c.crmid.in_([row[0] for row in existing])))
        for p in pending:
            if p.module.kind != "crm":
                table = self.db.table_for(p.module)
                conn.execute(table.delete().where(table.c.crmid == p.record_id))

    # ================================================================== dumping

    def dump(self, modules: Iterable[str] | None = None) -> Fixture:
        """The live records of every module (or of `modules`) in the fixture format, by id."""
        wanted = None if modules is None else set(modules)
        if wanted is not None:
            unknown = [m for m in wanted if self.modules.get(m) is None]
            if unknown:
                raise SeedDataError(f"unknown module(s): {', '.join(sorted(unknown))}")
        out: Fixture = {}
        with self.db.transaction() as conn:
            admin = self._admin_id(conn)
            for module in self.modules:
                if module.kind == "lineitem" or (wanted is not None and module.name not in wanted):
                    continue
                rows = self._live_rows(conn, module)
                if not rows:
                    continue
                printed = self.crm.records.render(conn, module, rows, fields=module.fields)
                if module.kind == "users":
                    for record in printed:
                        # The admin's key is configuration, not data: a dump loads into a server
                        # with another configured key without locking its admin out.
                        if record["id"] == f"{module.id_prefix}x{admin}" and (
                            record.get("accesskey") == self.crm.admin_access_key
                        ):
                            record["accesskey"] = ACCESS_KEY_PLACEHOLDER
                if module.is_inventory:
                    inventory = self.crm.records.inventory
                    for record in printed:
                        record_id = int(str(record["id"]).split("x")[1])
                        record["LineItems"] = [
                            {k: v for k, v in line.items() if k in _LINE_KEYS}
                            for line in inventory.line_items(conn, module, record_id)
                        ]
                out[module.name] = printed
        return out

    def _live_rows(self, conn: Connection, module: ModuleMeta) -> list[dict[str, Any]]:
        table = self.db.table_for(module)
        query = sa.select(table).where(table.c[DELETED] == 0).order_by(table.c.crmid)
        converted = getattr(database, "CONVERTED", None)
        if converted is not None and converted in table.c:
            query = query.where(table.c[converted] == 0)  # converted leads are gone for clients
        if module.kind == "crm":
            ent = self.db.crmentity
            query = query.join(ent, ent.c.crmid == table.c.crmid).where(
                ent.c.setype == module.name, ent.c.deleted == 0
            )
        return [dict(r) for r in conn.execute(query).mappings()]

    # ================================================================== users

    def create_user(
        self,
        user_name: str,
        *,
        rng: random.Random,
        access_key: str | None = None,
        is_admin: bool = False,
        password: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new active user that can log in with `access_key` (generated when not given)."""
        key = access_key or "".join(rng.choice(_ACCESS_KEY_CHARS) for _ in range(16))
        record: dict[str, Any] = {k: _printed(v, f"Users.{k}") for k, v in (fields or {}).items()}
        record.update(user_name=user_name, is_admin="on" if is_admin else "off", accesskey=key)
        if password is not None:
            record["user_password"] = hash_password(password, salt=f"{rng.getrandbits(64):016x}")
        with self.db.transaction("write") as conn:
            if self.crm.auth.find_user_id(conn, user_name) is not None:
                raise UserExists(user_name)
            self.load_in(conn, {"Users": [record]})
            user_id = self.crm.auth.find_user_id(conn, user_name)
            assert user_id is not None
            row = self.crm.auth.user_row(conn, user_id)
        assert row is not None
        return self.describe_user(user_id, row)

    def users(self) -> list[dict[str, Any]]:
        table = self.db.table_for(self._users)
        with self.db.transaction() as conn:
            rows = conn.execute(sa.select(table).where(table.c[DELETED] == 0).order_by(table.c.crmid))
            return [self.describe_user(int(r["crmid"]), dict(r)) for r in rows.mappings()]

    def describe_user(self, user_id: int, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{self._users.id_prefix}x{user_id}",
            "user_name": row.get("user_name"),
            "access_key": row.get("accesskey"),
            "is_admin": row.get("is_admin") == "on",
            "status": row.get("status"),
            "first_name": row.get("first_name") or "",
            "last_name": row.get("last_name") or "",
            "email": row.get("email1") or "",
            "role": row.get("roleid") or "",
        }

    # ================================================================== helpers

    def _admin_id(self, conn: Connection) -> int:
        table = self.db.table_for(self._users)
        admin = conn.execute(
            sa.select(sa.func.min(table.c.crmid)).where(table.c.is_admin == "on", table.c[DELETED] == 0)
        ).scalar()
        return int(admin or 1)

    def _active_user_ids(self, conn: Connection) -> list[int]:
        table = self.db.table_for(self._users)
        ids = conn.execute(
            sa.select(table.c.crmid)
            .where(table.c[DELETED] == 0, table.c.status == "Active")
            .order_by(table.c.crmid)
        ).scalars()
        return [int(i) for i in ids] or [1]

    def _sequence_text(self, conn: Connection, name: str) -> str | None:
        seq = self.db.sequences
        value = conn.execute(sa.select(seq.c.value).where(seq.c.name == name)).scalar()
        return None if value is None else str(value)

    def _sequence_value(self, conn: Connection, name: str) -> int:
        return int(self._sequence_text(conn, name) or "0")

    def _set_sequence(self, conn: Connection, name: str, value: str) -> None:
        seq = self.db.sequences
        if conn.execute(seq.update().where(seq.c.name == name).values(value=value)).rowcount == 0:
            conn.execute(seq.insert().values(name=name, value=value))

    def _raise_sequence(self, conn: Connection, name: str, at_least: int) -> None:
        if at_least > self._sequence_value(conn, name):
            self._set_sequence(conn, name, str(at_least))


def _float(text: Any) -> float:
    try:
        return float(text or 0)
    except (TypeError, ValueError):
        return 0.0


def _chunks(
    items: Iterable[tuple[str, dict[str, Any]]], size: int
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    batch: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _slices(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
