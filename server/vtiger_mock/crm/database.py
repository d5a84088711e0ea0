"""The SQLite schema: one table per module storage group, built from module metadata.

Layout (close to Vtiger's own, so the same questions are cheap to ask):
- `crmentity`: one row per CRM record of any module (id sequence, module, owner, times, deleted);
  sync, id resolution and reference rendering read only this table.
- one table per `ModuleMeta.table` with a column per field (Calendar, Events and Emails share one);
- `sequences`: the shared record-id sequence and the per-module record-number counters;
- `ws_tokens` / `ws_sessions`: challenge tokens and sessions, in the database so that they survive a
  restart with a file database and are shared by several server processes.
"""

from __future__ import annotations

import operator
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import visitors

from vtiger_mock.crm.schema import FieldMeta, ModuleMeta
from vtiger_mock.crm.wide_rows import json_available, pack

# Module tables' system columns.  Underscored: a module may have a field named "deleted" (Currency).
RECORD_ID = "crmid"
DELETED = "_deleted"
# Set on a converted Lead: hidden from query and reported as deleted by sync, yet retrievable.
CONVERTED = "_converted"

# The flag value of a live row, written into the SQL rather than bound: SQLite prepares a statement
# again on every run when a bound value meets a partial index's condition (each module table's
# live-row index), which cost more than running the statement.
LIVE = sa.literal(0, literal_execute=True)

# Case-insensitive text like MySQL's *_general_ci (ASCII folding), also for the indexes.
NOCASE_TEXT = sa.Text(collation="NOCASE")

_COLUMN_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "integer": sa.Integer(),
    "decimal": sa.Float(),
    "boolean": sa.Integer(),
    "reference": sa.Integer(),
    "owner": sa.Integer(),
}

# Fields whose columns get an index: the ones queries and lookups filter on.
_INDEXED_KINDS = {"reference", "owner"}


def _column_type(f: FieldMeta) -> sa.types.TypeEngine[Any]:
    return _COLUMN_TYPES.get(f.kind, NOCASE_TEXT)


@dataclass(frozen=True)
class Prepared:
    """A statement SQLAlchemy compiled once, run straight on the DBAPI connection.

    The hot lookups of every request (session, user, a record's module and row) would otherwise
    pay for building and compiling a statement each time — far more than SQLite's own work.
    Values are still bound parameters; only the SQL text is reused.
    """

    sql: str
    names: tuple[str, ...]  # bind parameters in positional order
    columns: tuple[str, ...]  # result columns, for rows as mappings
    constants: dict[str, Any]  # values of the binds the statement fixed itself (deleted == 0)
    # A wide SELECT's text columns come packed (crm/wide_rows.py): rows go through `unpack`, and
    # `plain_sql` is the same statement unpacked, for the rows JSON cannot carry.
    unpack: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    plain_sql: str = ""

    @cached_property
    def row_positions(self) -> tuple[int, ...]:
        """For row writes (binds v0, v1, … and one more): each bind's index in the row's values,
        the other one (-1) being the last value."""
        return tuple(int(n[1:]) if n[:1] == "v" and n[1:].isdigit() else -1 for n in self.names)

    @cached_property
    def _pick(self) -> Callable[[dict[str, Any]], Sequence[Any]]:
        """Binds in positional order from a name → value dict, in C (itemgetter)."""
        if not self.names:
            return lambda _params: ()
        get = operator.itemgetter(*self.names)
        if len(self.names) == 1:
            return lambda params: (get(params),)
        return get

    def _values(self, params: dict[str, Any]) -> Sequence[Any]:
        # Constants are what the statement fixed itself (an OFFSET 0): the caller's names win.
        return self._pick({**self.constants, **params} if self.constants else params)

    def _run(self, conn: Connection, params: dict[str, Any]) -> Any:
        return self._run_values(conn, self._values(params))

    def _run_values(self, conn: Connection, values: Sequence[Any]) -> Any:
        # Connection.execute makes the cursor; CPython resets the statement as soon as the cursor
        # is dropped, which is when the caller returns.
        return conn.connection.dbapi_connection.execute(self.sql, values)  # type: ignore[union-attr]

    def rows(self, conn: Connection, **params: Any) -> list[tuple[Any, ...]]:
        values = self._values(params)
        if self.unpack is None:
            found: list[tuple[Any, ...]] = self._run_values(conn, values).fetchall()
            return found
        try:
            return list(map(self.unpack, self._run_values(conn, values).fetchall()))
        except sqlite3.OperationalError as error:
            if not _blob_in_json(error):
                raise
            return self._run_plain(conn, values).fetchall()  # type: ignore[no-any-return]

    def first(self, conn: Connection, **params: Any) -> tuple[Any, ...] | None:
        return self.first_of(conn, self._values(params))

    def first_of(self, conn: Connection, values: Sequence[Any]) -> tuple[Any, ...] | None:
        """The first row, binds given in positional order."""
        if self.unpack is None:
            found: tuple[Any, ...] | None = self._run_values(conn, values).fetchone()
            return found
        try:
            packed = self._run_values(conn, values).fetchone()
        except sqlite3.OperationalError as error:
            if not _blob_in_json(error):
                raise
            return self._run_plain(conn, values).fetchone()  # type: ignore[no-any-return]
        return self.unpack(packed) if packed is not None else None

    def _run_plain(self, conn: Connection, values: Sequence[Any]) -> Any:
        return conn.connection.dbapi_connection.execute(self.plain_sql, values)  # type: ignore[union-attr]

    def execute(self, conn: Connection, **params: Any) -> int:
        """Run a write; the number of rows it touched."""
        return int(self._run(conn, params).rowcount)

    def execute_values(self, conn: Connection, values: Sequence[Any]) -> int:
        """execute(), binds given in positional order."""
        return int(self._run_values(conn, values).rowcount)


# Sizes of the id lists statements are prepared for; a list is padded up to the next size
# (pad_ids) and a longer one is run in chunks of the largest.  json_each(?)
# would need one statement only, but SQLite 3.40 crashes running a prepared statement over an
# eponymous virtual table after sqlite3_deserialize (snapshot restore).  A list of one is its own
# size: SQLite runs `IN (?)` as `= ?`, where a longer list costs it a temporary index.
ID_LIST_SIZES = (1, 4, 32, 256)


def pad_ids(ids: list[int], size: int) -> list[int]:
    """`ids` (at least one) filled up to `size` with its last id again, which changes no answer: an
    `IN` list is a set, and an arm asking for an id again finds the same row.  Not NULL, which
    would match nothing as well: Python's sqlite3 binds None through its adaptation protocol, about
    1 µs a value, which made up a third of looking up a page's hundred references."""
    return ids + [ids[-1]] * (size - len(ids))


def _in_bind_order(statement: Prepared, values: list[Any]) -> list[Any]:
    """`values` (bound as v0, v1, …; one other parameter last) in the statement's bind order: a
    whole row without building a dict of 45 named values per write."""
    return [values[i] for i in statement.row_positions]


# Sets of columns update_row() prepares statements for, per table.
MAX_COLUMN_SETS = 256


def _kept_type(column_type: sa.types.TypeEngine[Any]) -> type:
    """The Python type SQLite stores unchanged in a column of this type: its affinity converts
    numbers given to a TEXT column to text, numeric text (and whole floats) given to an INTEGER
    one to integers, and integers given to a REAL one to floats."""
    if isinstance(column_type, sa.Integer):
        return int
    if isinstance(column_type, sa.Float):
        return float
    if isinstance(column_type, (sa.Text, sa.String)):
        return str
    return type(None)  # other affinities: nothing is assumed


# _as_stored's answer when it cannot tell what SQLite will give back.
UNSURE: Any = object()
_EXACT_FLOAT_INT = 2**53


def _as_stored(value: Any, kept: type) -> Any:
    """What a read gives back after SQLite stores `value` in a column keeping `kept`: the value
    itself when its type is kept (NULL always), a whole number as a float in a REAL column, and
    UNSURE otherwise (a bool, stored as 0/1; NaN, stored as NULL; numbers in text columns…)."""
    if value is None:
        return None
    kind = type(value)
    if kind is kept:
        if kept is float:
            if value != value:
                return UNSURE
            return value if value != 0.0 else 0.0  # -0.0 comes back 0.0
        return value
    if kept is float and kind is int and -_EXACT_FLOAT_INT <= value <= _EXACT_FLOAT_INT:
        return float(value)
    return UNSURE


def _read_as_stored(values: list[Any], kinds: Iterable[type]) -> list[Any] | None:
    """`values` as a read would give them back, or None when one cannot be told (read them)."""
    stored = list(map(_as_stored, values, kinds))
    # `in` compares in C; the values are None, str, int and float, none equal to UNSURE.
    return None if UNSURE in stored else stored


def _blob_in_json(error: sqlite3.OperationalError) -> bool:
    """A packed row holding a BLOB in a text column, which JSON cannot carry (crm/wide_rows.py);
    any other failure (a locked database, say) is the caller's to see."""
    return "BLOB" in str(error)


def _update_columns(table: sa.Table, names: tuple[str, ...]) -> Any:
    """UPDATE the columns `names` of the row `key` (values bound as v000, v001, … in that order)."""
    return (
        table.update()
        .where(table.c.crmid == sa.bindparam("key"))
        .values({name: sa.bindparam(f"v{i:03d}") for i, name in enumerate(names)})
    )


def _select_columns(table: sa.Table, names: tuple[str, ...]) -> Any:
    return sa.select(*(table.c[name] for name in names)).where(table.c.crmid == sa.bindparam("key"))


def _index_name(index: sa.Index) -> str:
    return str(index.name)


def _inline_constants(statement: Any) -> Any:
    """`statement` with the integers it fixed itself (`deleted == 0`, `limit(1)`: code, never request
    data, which comes in named bind parameters) written into the SQL (see LIVE)."""

    def inline(element: Any, **_kw: Any) -> Any:
        if isinstance(element, sa.BindParameter) and not element.required and type(element.value) is int:
            return sa.literal_column(str(element.value), element.type)
        return None

    return visitors.replacement_traverse(statement, {}, inline)


def _with_id_list(build: Callable[[list[sa.BindParameter[Any]]], Any], names: list[str]) -> Any:
    return build([sa.bindparam(name) for name in names])


class _InsertPlan(NamedTuple):
    """How insert_row writes a table's rows, worked out once per table."""

    statement: Prepared  # every column, bound in column order
    columns: tuple[str, ...]
    kinds: tuple[type, ...]  # the type each column keeps (`_kept_type`)
    flagged: bool  # the table has the record flags (DELETED, CONVERTED)


class Transaction:
    """`with db.transaction(mode) as conn`: begun and ended on the driver (SQLAlchemy's own
    bookkeeping costs ten times SQLite's BEGIN + COMMIT).  "write" takes SQLite's write lock up
    front (BEGIN IMMEDIATE) so that two processes never deadlock upgrading a read lock; "read"
    begins a deferred transaction; "autocommit" begins none, and each statement commits on its
    own (anything that opened a transaction anyway is ended here all the same).

    A statement run through SQLAlchemy inside joins this transaction (see `_begin` in
    create_engine); its transaction object is then what commits or rolls back.  A class rather
    than a generator context manager: every request enters one."""

    __slots__ = ("begin", "conn", "raw")

    def __init__(self, conn: Connection, mode: TransactionMode) -> None:
        self.conn = conn
        self.raw: Any = conn.connection.dbapi_connection
        self.begin = _BEGIN[mode]

    def __enter__(self) -> Connection:
        if self.raw.in_transaction:
            raise RuntimeError("a transaction is already open on this thread's connection")
        if self.begin:
            self.raw.execute(self.begin)
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        conn = self.conn
        if exc_type is not None:
            if conn.in_transaction():
                conn.rollback()
            else:
                self.raw.rollback()
        elif conn.in_transaction():
            conn.commit()
        elif self.raw.in_transaction:
            self.raw.commit()


# Key of Database.note_bookkeeping's count in a driver connection's `info`.
_BOOKKEEPING = "vtiger_mock.bookkeeping_changes"

TransactionMode = Literal["read", "write", "autocommit"]
_BEGIN: dict[str, str] = {"read": "BEGIN", "write": "BEGIN IMMEDIATE", "autocommit": ""}


class Database:
    """Tables and engine; knows nothing about HTTP or about Vtiger rules."""

    def __init__(self, url: str, modules: Iterable[ModuleMeta]) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.metadata = sa.MetaData()
        self.crmentity = sa.Table(
            "crmentity",
            self.metadata,
            sa.Column("crmid", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("setype", sa.Text, nullable=False),
            sa.Column("deleted", sa.Integer, nullable=False, default=0),
            sa.Column("smownerid", sa.Integer, nullable=False, default=0),
            sa.Column("modifiedtime", sa.Text, nullable=False),
            sa.Index("ix_crmentity_modifiedtime", "modifiedtime"),
        )
        self.sequences = sa.Table(
            "sequences",
            self.metadata,
            sa.Column("name", sa.Text, primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        self.ws_tokens = sa.Table(
            "ws_tokens",
            self.metadata,
            sa.Column("userid", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("token", sa.Text, nullable=False),
            sa.Column("expiretime", sa.Integer, nullable=False),
        )
        self.ws_sessions = sa.Table(
            "ws_sessions",
            self.metadata,
            sa.Column("id", sa.Text, primary_key=True),
            sa.Column("userid", sa.Integer, nullable=False),
            sa.Column("created", sa.Integer, nullable=False),
            sa.Column("last_seen", sa.Integer, nullable=False),
        )
        # Uploaded files (vtiger_attachments + vtiger_seattachmentsrel): ids come from the record
        # sequence, as in Vtiger; the bytes live in the database so they survive restarts.
        self.attachments = sa.Table(
            "attachments",
            self.metadata,
            sa.Column("attachmentsid", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("crmid", sa.Integer, nullable=False, index=True),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("type", sa.Text, nullable=False),
            sa.Column("data", sa.LargeBinary, nullable=False),
        )
        # n:m links between records (add_related), one row per link.  `store` names the Vtiger table
        # the link lives in (crmentityrel, senotesrel, seproductsrel, ...; relations.json says which
        # relation reads which): a link is only seen through the relations that read its store.
        self.crmentityrel = sa.Table(
            "crmentityrel",
            self.metadata,
            sa.Column("store", sa.Text, primary_key=True),
            sa.Column("crmid", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("relcrmid", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("module", sa.Text, nullable=False),
            sa.Column("relmodule", sa.Text, nullable=False),
            sa.Index("ix_crmentityrel_relcrmid", "relcrmid"),
        )
        self.module_tables: dict[str, sa.Table] = {}
        self._build_module_tables(list(modules))
        self._prepared: dict[Hashable, Prepared] = {}
        self._names: dict[tuple[str, str | None], tuple[str, ...]] = {}
        self._column_sets: dict[str, set[tuple[str, ...]]] = {}
        self._kept: dict[str, dict[str, type]] = {}
        self._inserts: dict[str, _InsertPlan] = {}
        self._local = threading.local()
        self._open: dict[threading.Thread, Connection] = {}
        self._open_lock = threading.Lock()
        # Bumped when the whole database is replaced (snapshot restore, reset): see data_stamp().
        self._generation = 0

    @cached_property
    def packs_rows(self) -> bool:
        """Whether wide SELECTs are packed (crm/wide_rows.py): SQLite must have json_array."""
        return json_available(self.connection().connection.dbapi_connection)

    def prepared(self, key: Hashable, build: Callable[[], Any]) -> Prepared:
        """The compiled form of `build()`, compiled on first use; `key` names the statement."""
        found = self._prepared.get(key)
        if found is None:
            found = self._prepared[key] = self.prepare(build())
        return found

    def prepare(self, statement: Any) -> Prepared:
        """`statement` compiled for running straight on the DBAPI connection (not kept: callers
        that run it again keep it, as `prepared` does)."""
        statement = _inline_constants(statement)
        # Post-compile: an IN over a fixed list (a module's selector values) becomes plain binds.
        dialect, options = self.engine.dialect, {"render_postcompile": True}
        compiled = statement.compile(dialect=dialect, compile_kwargs=options)
        names = tuple(compiled.positiontup or ())
        packing = pack(statement) if self.packs_rows else None
        packed = (
            packing.statement.compile(dialect=dialect, compile_kwargs=options)
            if packing is not None
            else None
        )
        if packing is not None and packed is not None and tuple(packed.positiontup or ()) == names:
            sql, unpack = str(packed), packing.unpack
        else:
            sql, unpack = str(compiled), None
        return Prepared(
            sql=sql,
            names=names,
            columns=tuple(statement.selected_columns.keys()) if isinstance(statement, sa.Select) else (),
            constants=dict(compiled.params),
            unpack=unpack,
            plain_sql=str(compiled),
        )

    def rows_for_ids(
        self,
        conn: Connection,
        key: str,
        build: Callable[[list[sa.BindParameter[Any]]], Any],
        ids: Iterable[int],
        **params: Any,
    ) -> list[tuple[Any, ...]]:
        """Rows of the statement `build(id_list)`, whose `IN` takes `id_list`, for any number of ids:
        a statement prepared per list size (ID_LIST_SIZES) instead of one per call."""
        wanted = sorted(set(ids))
        largest = ID_LIST_SIZES[-1]
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), largest):
            chunk = wanted[start : start + largest]
            size = next(n for n in ID_LIST_SIZES if n >= len(chunk))
            names = [f"id_{i}" for i in range(size)]
            statement = self.prepared(f"{key}[{size}]", partial(_with_id_list, build, names))
            padded = pad_ids(chunk, size)
            out.extend(statement.rows(conn, **params, **{f"id_{i}": v for i, v in enumerate(padded)}))
        return out

    def _build_module_tables(self, modules: list[ModuleMeta]) -> None:
        columns: dict[str, dict[str, sa.Column[Any]]] = {}
        indexed: dict[str, set[str]] = {}
        unique: dict[str, set[str]] = {}
        for module in modules:
            cols = columns.setdefault(module.table, {})
            idx = indexed.setdefault(module.table, set())
            if not module.allow_duplicates and module.unique_field and module.field(module.unique_field):
                unique.setdefault(module.table, set()).add(module.by_name[module.unique_field].col)
            for f in module.fields:
                if f.col not in cols:
                    cols[f.col] = sa.Column(f.col, _column_type(f), nullable=True)
                if f.kind in _INDEXED_KINDS or f.name in module.label_fields or f.name == module.unique_field:
                    idx.add(f.col)
                if module.numbering and f.name == module.numbering.field:
                    idx.add(f.col)
        for table_name, cols in columns.items():
            table = sa.Table(
                table_name,
                self.metadata,
                sa.Column("crmid", sa.Integer, primary_key=True, autoincrement=False),
                sa.Column(DELETED, sa.Integer, nullable=False, default=0),
                sa.Column(CONVERTED, sa.Integer, nullable=False, default=0),
                *cols.values(),
            )
            for col in sorted(indexed[table_name]):
                sa.Index(f"ix_{table_name}_{col}", table.c[col])
            for col in sorted(unique.get(table_name, ())):
                # The duplicate check compares rtrim(value) case-insensitively: index that expression.
                sa.Index(f"ix_{table_name}_{col}_dup", sa.func.rtrim(table.c[col]).collate("NOCASE"))
            # count(*) and deep OFFSET paging walk the live rows only; the row itself is wide.
            sa.Index(
                f"ix_{table_name}_live",
                table.c.crmid,
                sqlite_where=sa.and_(table.c[DELETED] == 0, table.c[CONVERTED] == 0),
            )
            self.module_tables[table_name] = table

    def connection(self) -> Connection:
        """This thread's connection, opened once and kept: opening one per request (pool
        checkout, events, a new Connection object) cost more than a whole getchallenge."""
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
            self._local.conn = conn
            with self._open_lock:
                # Threads come and go (test clients, thread pools): close what the gone ones kept.
                for thread in [t for t in self._open if not t.is_alive()]:
                    self._open.pop(thread).close()
                self._open[threading.current_thread()] = conn
        return conn

    def transaction(self, mode: TransactionMode = "read") -> Transaction:
        """One request = one transaction on this thread's connection (see Transaction)."""
        return Transaction(self.connection(), mode)

    def invalidate(self) -> None:
        """The database was replaced wholesale (a copy SQLite does not count as changes)."""
        self._generation += 1

    def data_stamp(self, conn: Connection) -> tuple[int, int, int, int]:
        """A value that changes whenever the data `conn` sees may have changed: rows written
        through this connection (sqlite3's total_changes) other than bookkeeping, commits by any
        other connection or process (PRAGMA data_version), and wholesale replacement
        (invalidate()).  Results kept for a stamp are valid while the stamp stays the same."""
        fairy = conn.connection
        raw = fairy.dbapi_connection
        version = raw.execute("PRAGMA data_version").fetchone()[0]  # type: ignore[union-attr]
        changes = raw.total_changes - fairy.info.get(_BOOKKEEPING, 0)  # type: ignore[union-attr]
        return (self._generation, id(raw), changes, int(version))

    def note_bookkeeping(self, conn: Connection, rows: int) -> None:
        """`rows` were written to the session or token tables, which no kept answer is read from:
        left out of data_stamp, so that a login, a challenge or a session touched by the idle
        timeout (every request, when one is set) does not throw away every kept answer.  Counted
        per driver connection (SQLAlchemy's `info` lives as long as it), as total_changes is."""
        info = conn.connection.info
        info[_BOOKKEEPING] = info.get(_BOOKKEEPING, 0) + rows

    def close(self) -> None:
        """Close the kept connections and the engine's pool (the CLI, before the process ends or
        the database file is dropped)."""
        with self._open_lock:
            for conn in self._open.values():
                conn.close()
            self._open.clear()
        self._local = threading.local()
        self.engine.dispose()

    def insert_row(self, conn: Connection, table: sa.Table, row: dict[str, Any]) -> dict[str, Any] | None:
        """INSERT every column of `table` (absent ones as NULL, flags as 0): one prepared statement
        per table instead of a statement built per call.  Returns the row as a read would give it
        when SQLite's affinity rules tell (see `_as_stored`); None when they do not."""
        plan = self._inserts.get(table.name)
        if plan is None:
            plan = self._inserts[table.name] = self._insert_plan(table)
        statement, columns, kinds, flagged = plan
        full = {DELETED: 0, CONVERTED: 0, **row} if flagged else row
        values = list(map(full.get, columns))
        statement._run_values(conn, values)
        stored = _read_as_stored(values, kinds)
        return dict(zip(columns, stored, strict=True)) if stored is not None else None

    def _insert_plan(self, table: sa.Table) -> _InsertPlan:
        columns = self._column_names(table)
        statement = self.prepared(
            ("insert", table.name),
            lambda: table.insert().values({c: sa.bindparam(f"v{i}") for i, c in enumerate(columns)}),
        )
        if statement.names != tuple(f"v{i}" for i in range(len(columns))):
            raise RuntimeError(f"the insert into {table.name} binds its values out of column order")
        kept = self._kept_types(table)
        return _InsertPlan(statement, columns, tuple(kept[c] for c in columns), DELETED in table.c)

    def update_row(
        self, conn: Connection, table: sa.Table, key: int, row: dict[str, Any], changed: Iterable[str]
    ) -> dict[str, Any]:
        """UPDATE row `key` to `row` (a full row, as read and changed), writing the `changed`
        columns; returns them as SQLite stored them (column affinity turns 5 into "5" in a text
        column and "5" into 5 in an integer one): read back, unless the affinity rules tell what
        every value becomes (`_as_stored`), the usual case.  The rest of `row` is as read.

        Only the changed columns: SQLite rewrites the entries of every index over a column an
        UPDATE sets, even to the same value, and a record's table has several.  A statement per
        set of columns, up to MAX_COLUMN_SETS per table; past that, every column is written.
        (UPDATE … RETURNING would save the read, but costs SQLite 3.40 more than the read.)"""
        every = self._column_names(table, but="crmid")
        wanted = set(changed)
        names = tuple(name for name in every if name in wanted)
        if not names:
            return {}
        shapes = self._column_sets.setdefault(table.name, set())
        if names not in shapes:
            if len(shapes) >= MAX_COLUMN_SETS:
                names = every
            shapes.add(names)
        update = self.prepared(("update", table.name, names), partial(_update_columns, table, names))
        values = [row.get(name) for name in names]
        update._run_values(conn, _in_bind_order(update, [*values, key]))
        known = _read_as_stored(values, map(self._kept_types(table).__getitem__, names))
        if known is not None:
            return dict(zip(names, known, strict=True))
        read = self.prepared(("select", table.name, names), partial(_select_columns, table, names))
        stored = read.first_of(conn, [key])
        return dict(zip(names, stored, strict=True)) if stored is not None else {}

    def _kept_types(self, table: sa.Table) -> dict[str, type]:
        """Per column, the Python type a value keeps on its way into the column (its affinity)."""
        kept = self._kept.get(table.name)
        if kept is None:
            kept = self._kept[table.name] = {c.name: _kept_type(c.type) for c in table.columns}
        return kept

    def _column_names(self, table: sa.Table, but: str | None = None) -> tuple[str, ...]:
        """The names of `table`'s columns in order, `but` left out (SQLAlchemy's column collection
        is slow to walk for every write)."""
        names = self._names.get((table.name, but))
        if names is None:
            names = self._names[(table.name, but)] = tuple(c.name for c in table.columns if c.name != but)
        return names

    def table_for(self, module: ModuleMeta) -> sa.Table:
        return self.module_tables[module.table]

    def create_all(self) -> None:
        """Every table and index not there yet, as one script (SQLAlchemy's create_all checks and
        runs its ~240 statements one at a time; start-up is a CI stand-in's most repeated cost)."""
        dialect = self.engine.dialect
        statements: list[Any] = []
        for table in self.metadata.sorted_tables:
            statements.append(CreateTable(table, if_not_exists=True))
            statements += [CreateIndex(i, if_not_exists=True) for i in sorted(table.indexes, key=_index_name)]
        script = ";\n".join(str(statement.compile(dialect=dialect)).strip() for statement in statements)
        with self.engine.connect() as conn:
            conn.connection.dbapi_connection.executescript(script + ";")  # type: ignore[union-attr]

    def is_empty(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(self.sequences)).scalar_one() == 0


def create_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared in-memory database for every thread of this process.
        # No rollback when a Connection is closed or collected: every thread's Connection wraps this
        # one driver connection, and Database.transaction ends every transaction itself.
        engine = sa.create_engine(
            "sqlite://",
            poolclass=StaticPool,
            pool_reset_on_return=None,
            connect_args={"check_same_thread": False},
        )
    else:
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: object, _record: object) -> None:
        # Let SQLAlchemy's "begin" event (below) decide how a transaction starts.
        dbapi_conn.isolation_level = None  # type: ignore[attr-defined]
        cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
        if url not in ("sqlite://", "sqlite:///:memory:"):
            # WAL: readers never block the writer; several server processes can share the file.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=OFF")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # SQLAlchemy begins its transaction lazily, at its first statement: inside
        # Database.transaction the driver's is already open and SQLAlchemy's joins it; elsewhere
        # (a read outside any request) this opens one.  Straight to the driver: a statement
        # through SQLAlchemy here costs more than the BEGIN.
        raw = conn.connection.dbapi_connection
        if not raw.in_transaction:  # type: ignore[union-attr]
            raw.execute("BEGIN")  # type: ignore[union-attr]

    return engine
