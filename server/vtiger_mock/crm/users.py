"""User administration behind changePassword and deleteUser (include/Webservices/Custom/)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.database import DELETED, Database
from vtiger_mock.crm.modules import ModuleRegistry

PASSWORD_FIELD = "user_password"
# Vtiger's default password_regex: at least 8 characters with a digit, a lower- and an upper-case
# letter and a special character.
_STRONG = re.compile(r"^(?=.*\d)(?=.*[a-z])(?=.*[A-Z])(?=.*[^a-zA-Z0-9]).{8,}$")


def hash_password(password: str, salt: str | None = None) -> str:
    """Salted SHA-256, stored in the Users password column (never printed by retrieve)."""
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + password).encode('utf-8')).hexdigest()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or "$" not in stored:
        return False
    salt = stored.split("$", 1)[0]
    return secrets.compare_digest(hash_password(password, salt), stored)


def is_strong(password: str) -> bool:
    return bool(_STRONG.match(password))


class UserAdmin:
    def __init__(self, db: Database, modules: ModuleRegistry, clock: Clock) -> None:
        self.db = db
        self.modules = modules
        self.users = db.table_for(modules["Users"])
        self.clock = clock

    def password_of(self, conn: Connection, user_id: int) -> str | None:
        u = self.users
        value: Any = conn.execute(sa.select(u.c[PASSWORD_FIELD]).where(u.c.crmid == user_id)).scalar()
        return None if value is None else str(value)

    def set_password(self, conn: Connection, user_id: int, password: str) -> None:
        u = self.users
        conn.execute(u.update().where(u.c.crmid == user_id).values({PASSWORD_FIELD: hash_password(password)}))

    def transfer_and_delete(self, conn: Connection, user_id: int, new_owner: int) -> None:
        """Users::transformOwnerShipAndDelete: every record of the user goes to the new owner."""
        ent = self.db.crmentity
        now = self.clock.timestamp()
        moved = [
            (row.crmid, row.setype)
            for row in conn.execute(sa.select(ent.c.crmid, ent.c.setype).where(ent.c.smownerid == user_id))
        ]
        conn.execute(
            ent.update().where(ent.c.smownerid == user_id).values(smownerid=new_owner, modifiedtime=now)
        )
        for name in sorted({setype for _, setype in moved}):
            module = self.modules.get(name)
            if module is None:
                continue
            table = self.db.table_for(module)
            for f in module.fields:
                if f.kind == "owner":
                    conn.execute(table.update().where(table.c[f.col] == user_id).values({f.col: new_owner}))
        u = self.users
        conn.execute(u.update().where(u.c.crmid == user_id).values({DELETED: 1}))
