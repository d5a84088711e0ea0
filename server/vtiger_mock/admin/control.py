"""The test-control state of one app: baseline and snapshots, clock, journal, faults, users, seeding.

The admin routes are a thin JSON layer over this object, and it is usable without HTTP:
`app.state.control.reset()` from an in-process test does what `POST /_mock/reset` does.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from vtiger_mock import __version__
from vtiger_mock.admin.faults import Faults
from vtiger_mock.admin.http import AdminError, bad_request, not_found
from vtiger_mock.admin.journal import Journal
from vtiger_mock.crm.clock import format_epoch
from vtiger_mock.crm.database import DELETED
from vtiger_mock.crm.seeding import Fixture, SeedDataError, Seeder, UserExists, read_fixture
from vtiger_mock.crm.snapshots import NAME_PATTERN, Images, SnapshotNotFound
from vtiger_mock.crm.state import CRM
from vtiger_mock.crm.synthetic import MODULES as SYNTHETIC_MODULES
from vtiger_mock.settings import Settings

# A synthetic load through the admin API runs inside one request: keep it bounded.
MAX_SCALE_PER_REQUEST = 1_000_000


class MockControl:
    def __init__(self, crm: CRM, settings: Settings) -> None:
        self.crm = crm
        self.settings = settings
        self.images = Images(crm.db)
        self.seeder = Seeder(crm)
        self.journal = Journal(settings.journal_size)
        self.faults = Faults()
        # Generated access keys and the seeds of probability faults that name none: reproducible
        # in deterministic mode, and restarted by a reset like every other generator.
        self.rng = random.Random(settings.seed)
        # The clock as the server started (frozen by --freeze-at, or by whoever built the CRM).
        self._start_frozen_at: float | None = crm.clock.now() if crm.clock.frozen else None

    # ------------------------------------------------------------------ reset

    def capture_baseline(self) -> None:
        """Remember the current state as the one reset goes back to (done once, at start-up)."""
        self.images.set_baseline(self.images.capture(self.crm.clock.now()))

    def reset(self) -> dict[str, Any]:
        """Back to the start: data, token/session-id sequence, clock, faults, journal.  Named
        snapshots are kept: they are the test's own saved states."""
        started = time.perf_counter()  # wall time: how long the reset took, not emulated time
        self.images.restore_baseline()
        self.crm.restart_ids()
        if self._start_frozen_at is not None:
            self.crm.clock.freeze(self._start_frozen_at)
        else:
            self.crm.clock.real()
        self.faults.restart()
        self.journal.restart()
        self.rng = random.Random(self.settings.seed)
        return {"reset": True, "elapsed_ms": round((time.perf_counter() - started) * 1000, 3)}

    # ------------------------------------------------------------------ health

    def total_records(self) -> int:
        return sum(self.crm.record_counts().values())

    def health(self, detailed: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"status": "ok", "version": __version__}
        if not detailed:
            return out
        records = self.crm.record_counts()
        users = self.crm.db.table_for(self.crm.modules["Users"])
        with self.crm.db.transaction() as conn:
            user_count = conn.execute(
                sa.select(sa.func.count()).select_from(users).where(users.c[DELETED] == 0)
            ).scalar_one()
        url = self.crm.db.url
        out.update(
            profile=self.crm.profile.name,
            vtiger_version=self.crm.profile.vtiger_version,
            database="memory" if url in ("sqlite://", "sqlite:///:memory:") else "file",
            records=dict(sorted(records.items())),
            total_records=sum(records.values()),
            users=int(user_count),
            deterministic=self.settings.seed is not None,
            seed=self.settings.seed,
            clock=self.clock_state(),
            snapshots=self.images.names(),
            faults=sum(1 for r in self.faults.rules() if r.active),
            journal=len(self.journal.entries()),
        )
        return out

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, name: str) -> dict[str, Any]:
        self._check_name(name)
        image = self.images.capture(self.crm.clock.now())
        replaced = self.images.save(name, image)
        return {**self._describe(name), "replaced": replaced}

    def restore(self, name: str) -> dict[str, Any]:
        self._check_name(name)
        try:
            self.images.restore(self.images.get(name))
        except SnapshotNotFound:
            raise not_found(f"no snapshot named {name!r}") from None
        return {"restored": name}

    def delete_snapshot(self, name: str) -> dict[str, Any]:
        self._check_name(name)
        try:
            self.images.delete(name)
        except SnapshotNotFound:
            raise not_found(f"no snapshot named {name!r}") from None
        return {"deleted": name}

    def snapshots(self) -> list[dict[str, Any]]:
        return [self._describe(name) for name in self.images.names()]

    def _describe(self, name: str) -> dict[str, Any]:
        image = self.images.get(name)
        return {
            "name": name,
            "created_at": image.created_at,
            "size_bytes": image.size_bytes,
        }

    @staticmethod
    def _check_name(name: str) -> None:
        if not NAME_PATTERN.match(name):
            raise bad_request(
                f"invalid snapshot name {name!r}: 1-64 characters of letters, digits, '.', '_' and '-', "
                "starting with a letter or digit"
            )

    # ------------------------------------------------------------------ clock

    def clock_state(self) -> dict[str, Any]:
        now = self.crm.clock.now()
        return {
            "now": now,
            "epoch": int(now),
            "timestamp": format_epoch(int(now)),
            "frozen": self.crm.clock.frozen,
        }

    def set_clock(
        self,
        *,
        freeze_at: float | None = None,
        freeze: bool = False,
        advance: float | None = None,
        real: bool = False,
    ) -> dict[str, Any]:
        """Applied in the order real → freeze → advance, so {"freeze_at": t, "advance": 5} means t+5."""
        clock = self.crm.clock
        if real:
            clock.real()
        if freeze_at is not None:
            clock.freeze(freeze_at)
        elif freeze:
            clock.freeze()
        if advance is not None:
            clock.advance(advance)
        return self.clock_state()

    # ------------------------------------------------------------------ users

    def create_user(
        self,
        user_name: str,
        *,
        access_key: str | None = None,
        is_admin: bool = False,
        password: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return self.seeder.create_user(
                user_name,
                rng=self.rng,
                access_key=access_key,
                is_admin=is_admin,
                password=password,
                fields=fields,
            )
        except UserExists:
            raise AdminError(409, "conflict", f"a user named {user_name!r} exists already") from None
        except SeedDataError as exc:
            raise bad_request(str(exc)) from None

    def users(self) -> list[dict[str, Any]]:
        return self.seeder.users()

    # ------------------------------------------------------------------ seeding and dumps

    def seed(
        self,
        *,
        demo: bool = False,
        records: Fixture | None = None,
        scale: int | None = None,
        modules: list[str] | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        try:
            if demo:
                loaded = self.seeder.load(read_fixture("demo", self.settings.fixtures_dir))
            elif records is not None:
                loaded = self.seeder.load(records)
            else:
                assert scale is not None
                names = modules or list(SYNTHETIC_MODULES)
                if scale * len(names) > MAX_SCALE_PER_REQUEST:
                    raise bad_request(
                        f"at most {MAX_SCALE_PER_REQUEST} synthetic records per request; "
                        "use `vtiger-mock seed --scale N --database FILE` for bigger sets"
                    )
                chosen = seed if seed is not None else (self.settings.seed or 0)
                loaded = self.seeder.load_synthetic({m: scale for m in names}, seed=chosen)
        except (SeedDataError, ValueError) as exc:
            raise bad_request(str(exc)) from None
        return {"loaded": loaded, "total": sum(loaded.values())}

    def dump(self, modules: list[str] | None = None) -> Fixture:
        try:
            return self.seeder.dump(modules)
        except SeedDataError as exc:
            raise bad_request(str(exc)) from None


def parse_time(value: Any, name: str) -> float:
    """An epoch (number) or an ISO 8601 date-time (UTC unless it names an offset)."""
    if isinstance(value, bool):
        raise bad_request(f"{name} must be an epoch number or an ISO 8601 date-time")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"{name}: {value!r} is not an ISO 8601 date-time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    raise bad_request(f"{name} must be an epoch number or an ISO 8601 date-time")
