"""Files attached to records (Documents uploads): stored in the database, served by files_retrieve."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vtiger_mock.crm.database import Database
from vtiger_mock.crm.schema import ModuleMeta
from vtiger_mock.crm.sequences import Sequences

# Field types whose modules carry attachments (uitype 61 file, 69 image, 28 Documents' filename).
FILE_UITYPES = {28, 61, 69}


@dataclass(frozen=True)
class StoredFile:
    attachment_id: int
    record_id: int
    name: str
    type: str
    data: bytes


class FileStore:
    def __init__(self, db: Database, sequences: Sequences) -> None:
        self.db = db
        self.sequences = sequences

    def attach(
        self, conn: Connection, module: ModuleMeta, record_id: int, name: str, content_type: str, data: bytes
    ) -> int:
        """Store an upload for a record and fill the record's file fields, as a Documents save does."""
        attachment_id = self.sequences.next_id(conn)
        conn.execute(
            self.db.attachments.insert().values(
                attachmentsid=attachment_id, crmid=record_id, name=name, type=content_type, data=data
            )
        )
        table = self.db.table_for(module)
        values = {"filename": name, "filesize": len(data), "filetype": content_type, "filelocationtype": "I"}
        columns = {module.by_name[k].col: v for k, v in values.items() if module.field(k) is not None}
        if columns:
            conn.execute(table.update().where(table.c.crmid == record_id).values(**columns))
        return attachment_id

    def get(self, conn: Connection, attachment_id: int) -> StoredFile | None:
        a = self.db.attachments
        row = conn.execute(sa.select(a).where(a.c.attachmentsid == attachment_id)).first()
        if row is None:
            return None
        return StoredFile(row.attachmentsid, row.crmid, row.name, row.type, row.data)

    def owner_module(self, conn: Connection, stored: StoredFile) -> str | None:
        """The module of the live record a file belongs to; None once that record is deleted."""
        ent = self.db.crmentity
        return conn.execute(
            sa.select(ent.c.setype).where(ent.c.crmid == stored.record_id, ent.c.deleted == 0)
        ).scalar()

    def ids_by_record(self, conn: Connection, record_ids: list[int]) -> dict[int, list[int]]:
        return attachment_ids(conn, self.db, record_ids)


def attachment_ids(conn: Connection, db: Database, record_ids: list[int]) -> dict[int, list[int]]:
    """Each record's attachment ids, oldest first."""
    a = db.attachments
    out: dict[int, list[int]] = {}
    # Ordered within each chunk of ids; every record's attachments are in one chunk.
    rows = db.rows_for_ids(
        conn,
        "files.attachment_ids",
        lambda ids: (
            sa.select(a.c.crmid, a.c.attachmentsid).where(a.c.crmid.in_(ids)).order_by(a.c.attachmentsid)
        ),
        record_ids,
    )
    for crmid, attachment_id in rows:
        out.setdefault(int(crmid), []).append(int(attachment_id))
    return out


def has_file_field(module: ModuleMeta) -> bool:
    return any(f.uitype in FILE_UITYPES for f in module.fields)
