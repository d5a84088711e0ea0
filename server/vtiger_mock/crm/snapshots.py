"""Whole-database images: the start-up baseline that reset goes back to, and named snapshots.

How, chosen by measuring with a few thousand records (bench/reset.py):
- the in-memory database (the default) is imaged with `serialize()` and put back with
  `deserialize()`: ~0.1 ms each way, a memory copy of the database file;
- a file database (WAL) is imaged into a private in-memory database with SQLite's online backup
  API and put back the same way (~1-2 ms; the backup API is also 10x slower than deserialize for
  the in-memory case): deserialize would detach the connection from its file, and the backup keeps
  the page size a WAL destination requires.
Neither needs to know the schema, so tables added later are covered without changes here.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from vtiger_mock.crm.database import Database

# Snapshot names go into URLs: keep them to one path segment of plain characters.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MEMORY_URLS = ("sqlite://", "sqlite:///:memory:")


class SnapshotNotFound(KeyError):
    pass


@dataclass
class Image:
    """A copy of the whole database: bytes (in-memory database) or a private in-memory copy."""

    created_at: float
    size_bytes: int
    data: bytes | None = field(default=None, repr=False)
    connection: sqlite3.Connection | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


class Images:
    """Takes and restores images of one Database; holds the baseline and the named snapshots."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.in_memory = db.url in MEMORY_URLS
        self.baseline: Image | None = None
        self._snapshots: dict[str, Image] = {}
        # Admin calls normally arrive on the server's event loop, but the pytest plugin and
        # in-process users may call from another thread: never let two copies interleave.
        self._lock = threading.Lock()

    @contextmanager
    def _raw(self) -> Iterator[sqlite3.Connection]:
        # The DB-API connection under SQLAlchemy.  With the in-memory database this is the one
        # shared connection (StaticPool); it is outside any transaction here, as both copies need.
        with self.db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            yield raw

    def capture(self, created_at: float) -> Image:
        with self._lock, self._raw() as raw:
            if self.in_memory:
                data = raw.serialize()
                return Image(created_at, len(data), data=data)
            target = sqlite3.connect(":memory:", check_same_thread=False)
            raw.backup(target)
        pages = target.execute("PRAGMA page_count").fetchone()[0]
        page_size = target.execute("PRAGMA page_size").fetchone()[0]
        return Image(created_at, int(pages) * int(page_size), connection=target)

    def restore(self, image: Image) -> None:
        with self._lock, self._raw() as raw:
            if image.data is not None:
                raw.deserialize(image.data)
            else:
                assert image.connection is not None
                image.connection.backup(raw)
            # Neither copy counts as a change SQLite reports: say so for anything kept per state.
            self.db.invalidate()

    # ------------------------------------------------------------------ baseline

    def set_baseline(self, image: Image) -> None:
        if self.baseline is not None:
            self.baseline.close()
        self.baseline = image

    def restore_baseline(self) -> None:
        if self.baseline is None:
            raise RuntimeError("no baseline captured")
        self.restore(self.baseline)

    # ------------------------------------------------------------------ named snapshots

    def save(self, name: str, image: Image) -> bool:
        """Store under `name`; True when it replaced an existing snapshot."""
        old = self._snapshots.pop(name, None)
        if old is not None:
            old.close()
        self._snapshots[name] = image
        return old is not None

    def get(self, name: str) -> Image:
        try:
            return self._snapshots[name]
        except KeyError:
            raise SnapshotNotFound(name) from None

    def delete(self, name: str) -> None:
        self.get(name).close()
        del self._snapshots[name]

    def names(self) -> list[str]:
        return sorted(self._snapshots)

    def items(self) -> list[tuple[str, Image]]:
        return sorted(self._snapshots.items())
