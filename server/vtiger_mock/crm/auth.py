"""Users as login principals, challenge tokens and webservice sessions (spec §3).

Tokens and sessions are rows in the database: they survive a restart with a file database and
every server process sees the same ones.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.database import DELETED, Database
from vtiger_mock.crm.records import Actor
from vtiger_mock.crm.schema import ModuleMeta

TOKEN_LIFETIME = 300  # seconds (AuthToken.php: 60*5)


class IdGenerator:
    """PHP's uniqid() (13 hex chars from the clock) and rand(): the shape of tokens and session ids.

    Seeded, it gives the same sequence on every run (deterministic mode).
    """

    def __init__(self, clock: Clock, seed: int | None = None) -> None:
        self._clock = clock
        self._rng = random.Random(seed)
        self._seeded = seed is not None
        self._last = 0
        self._lock = threading.Lock()

    def uniqid(self, at: float | None = None) -> str:
        """`at`: the clock's reading, when the caller has already taken it."""
        with self._lock:
            if self._seeded:
                micros = self._last + 1 + self._rng.randrange(1, 5000)
                if micros < 1_700_000_000_000_000:
                    micros += 1_700_000_000_000_000
            else:
                micros = int((self._clock.now() if at is None else at) * 1_000_000)
            # uniqid never repeats within a process: it waits for the next microsecond.
            if micros <= self._last:
                micros = self._last + 1
            self._last = micros
        return f"{micros // 1_000_000:08x}{micros % 1_000_000:05x}"

    def rand_hex(self) -> str:
        with self._lock:
            return f"{self._rng.randrange(1, 2**31):x}"


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class Auth:
    def __init__(self, db: Database, users: ModuleMeta, clock: Clock, ids: IdGenerator) -> None:
        self.db = db
        self.users_module = users
        self.users = db.table_for(users)
        self.clock = clock
        self.ids = ids

    # ------------------------------------------------------------------ users

    def find_user_id(self, conn: Connection, user_name: str) -> int | None:
        """user_name lookup as MySQL's ci collation does it: case-insensitive, live users only."""
        u = self.users
        found = self.db.prepared(
            "auth.user_by_name", lambda: sa.select(u.c.crmid).where(*_live_user_named(u))
        ).first(conn, name=user_name)
        return int(found[0]) if found is not None else None

    def user_row(self, conn: Connection, user_id: int) -> dict[str, Any] | None:
        u = self.users
        statement = self.db.prepared(
            "auth.user_row",
            lambda: sa.select(u).where(u.c.crmid == sa.bindparam("id"), u.c[DELETED] == 0),
        )
        row = statement.first(conn, id=user_id)
        return dict(zip(statement.columns, row, strict=True)) if row is not None else None

    def actor(self, conn: Connection, user_id: int) -> Actor | None:
        u = self.users
        found = self.db.prepared(
            "auth.actor",
            lambda: sa.select(u.c.user_name, u.c.is_admin, u.c.no_of_currency_decimals).where(
                u.c.crmid == sa.bindparam("id"), u.c[DELETED] == 0
            ),
        ).first(conn, id=user_id)
        return _actor(user_id, *found) if found is not None else None

    # ------------------------------------------------------------------ tokens

    def issue_token(self, conn: Connection, user_name: str) -> tuple[str, int, int] | None:
        """A new challenge token for the live user `user_name` (matched as find_user_id matches),
        replacing the user's previous one; None when there is no such user.

        One statement: the lookup and the write together are atomic on their own, so getchallenge
        needs no transaction around them (operations.json: "transaction": "autocommit")."""
        now = self.clock.now()
        token = self.ids.uniqid(now)
        issued = int(now)
        u, t = self.users, self.db.ws_tokens

        # One row per user (the key): the previous token is overwritten in place (an upsert
        # costs SQLite less than INSERT OR REPLACE's delete and insert).
        def build() -> Any:
            insert = sqlite.insert(t).from_select(
                ["userid", "token", "expiretime"],
                sa.select(u.c.crmid, sa.bindparam("token"), sa.bindparam("expires"))
                .where(*_live_user_named(u))
                .limit(1),
            )
            excluded = insert.excluded
            return insert.on_conflict_do_update(
                index_elements=[t.c.userid],
                set_={"token": excluded.token, "expiretime": excluded.expiretime},
            )

        written = self._bookkeeping(
            conn, "auth.token_for_name", build, name=user_name, token=token, expires=issued + TOKEN_LIFETIME
        )
        return (token, issued, issued + TOKEN_LIFETIME) if written else None

    def live_token(self, conn: Connection, user_id: int) -> str | None:
        """The user's token if it has not expired (valid through its expireTime second)."""
        t = self.db.ws_tokens
        found = self.db.prepared(
            "auth.live_token",
            lambda: sa.select(t.c.token).where(
                t.c.userid == sa.bindparam("user"), t.c.expiretime >= sa.bindparam("now")
            ),
        ).first(conn, user=user_id, now=self.clock.epoch())
        return str(found[0]) if found is not None else None

    # ------------------------------------------------------------------ sessions

    def open_session(self, conn: Connection, user_id: int, session_id: str | None = None) -> str:
        now = self.clock.epoch()
        s = self.db.ws_sessions
        if session_id is not None:
            self._bookkeeping(
                conn,
                "auth.session_reuse",
                lambda: (
                    s.update()
                    .where(s.c.id == sa.bindparam("id"))
                    .values(userid=sa.bindparam("user"), last_seen=sa.bindparam("now"))
                ),
                id=session_id,
                user=user_id,
                now=now,
            )
            return session_id
        # dechex(rand()) . uniqid(): typically 21 lowercase hex characters.
        session_id = self.ids.rand_hex() + self.ids.uniqid()
        self._bookkeeping(
            conn,
            "auth.session_add",
            lambda: s.insert().values(
                id=sa.bindparam("id"),
                userid=sa.bindparam("user"),
                created=sa.bindparam("now"),
                last_seen=sa.bindparam("now"),
            ),
            id=session_id,
            user=user_id,
            now=now,
        )
        return session_id

    def session_actor(
        self, conn: Connection, session_id: str, idle_timeout: int | None
    ) -> tuple[int, Actor | None] | None:
        """The session's user id and that user as an actor (None once the user is deleted), in one
        lookup: every request after login asks both.  None for an unknown or idle-expired session."""
        s, u = self.db.ws_sessions, self.users
        row = self.db.prepared(
            "auth.session_actor",
            lambda: (
                sa.select(s.c.userid, s.c.last_seen, u.c.user_name, u.c.is_admin, u.c.no_of_currency_decimals)
                .select_from(s.outerjoin(u, sa.and_(u.c.crmid == s.c.userid, u.c[DELETED] == 0)))
                .where(s.c.id == sa.bindparam("id"))
            ),
        ).first(conn, id=session_id)
        if row is None or not self._still_active(conn, session_id, row[1], idle_timeout):
            return None
        user_id, _, user_name, is_admin, decimals = row
        return int(user_id), (
            _actor(int(user_id), user_name, is_admin, decimals) if user_name is not None else None
        )

    def session_user(self, conn: Connection, session_id: str, idle_timeout: int | None) -> int | None:
        s = self.db.ws_sessions
        row = self.db.prepared(
            "auth.session",
            lambda: sa.select(s.c.userid, s.c.last_seen).where(s.c.id == sa.bindparam("id")),
        ).first(conn, id=session_id)
        if row is None or not self._still_active(conn, session_id, row[1], idle_timeout):
            return None
        return int(row[0])

    def _still_active(
        self, conn: Connection, session_id: str, last_seen: Any, idle_timeout: int | None
    ) -> bool:
        """Applies the idle timeout (when set): an expired session is closed, a live one touched."""
        if idle_timeout is None:
            return True
        now = self.clock.epoch()
        if now - int(last_seen) > idle_timeout:
            self.close_session(conn, session_id)
            return False
        s = self.db.ws_sessions
        self._bookkeeping(
            conn,
            "auth.session_touch",
            lambda: s.update().where(s.c.id == sa.bindparam("id")).values(last_seen=sa.bindparam("now")),
            id=session_id,
            now=now,
        )
        return True

    def close_session(self, conn: Connection, session_id: str) -> None:
        s = self.db.ws_sessions
        self._bookkeeping(
            conn, "auth.session_drop", lambda: s.delete().where(s.c.id == sa.bindparam("id")), id=session_id
        )

    def _bookkeeping(self, conn: Connection, key: str, build: Callable[[], Any], **params: Any) -> int:
        """Run a write to the token or session tables: rows no kept answer is read from, so they are
        counted apart from data (Database.note_bookkeeping).  The number of rows written."""
        written = self.db.prepared(key, build).execute(conn, **params)
        self.db.note_bookkeeping(conn, written)
        return written


def _live_user_named(u: sa.Table) -> tuple[Any, ...]:
    """The live user bound as "name", matched as MySQL's ci collation matches (the NOCASE column)."""
    return (u.c.user_name == sa.bindparam("name"), u.c[DELETED] == 0)


@lru_cache(maxsize=1024, typed=True)
def _actor(user_id: int, user_name: Any, is_admin: Any, decimals_value: Any) -> Actor:
    """An actor from the user's row values (user_name, is_admin, no_of_currency_decimals).
    Kept: actors are immutable, and the same few are made on every request."""
    decimals = str(decimals_value or "2")
    return Actor(
        id=user_id,
        user_name=str(user_name or ""),
        is_admin=is_admin == "on",
        currency_decimals=int(decimals) if decimals.isdigit() else 2,
    )
