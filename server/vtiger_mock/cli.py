"""The `vtiger-mock` command: serve, seed, dump, reset, health.

seed / dump / reset work on a running server through its admin API (`--url`, the default) or
directly on a database file (`--database sqlite:///path.db`, no server needed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from vtiger_mock import __version__
from vtiger_mock.settings import Settings

DEFAULT_SCALE_SEED = 0


# ---------------------------------------------------------------------------------------- output


class Progress:
    """A one-line progress bar on stderr, drawn only on a terminal (CI logs get a final line).

    Hand-written rather than a dependency: one bar in one command does not justify tqdm or rich.
    """

    def __init__(
        self, total: int, label: str, stream: IO[str] | None = None, enabled: bool | None = None
    ) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        # Display only: the wall clock, never the emulator's clock.
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.1 or self.done >= self.total):
            self._drawn = now
            self.stream.write("\r" + self._line(now))
            self.stream.flush()

    def _line(self, now: float) -> str:
        fraction = min(self.done / self.total, 1.0)
        width = 30
        bar = "#" * int(fraction * width) + "." * (width - int(fraction * width))
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else 0.0
        return (
            f"{self.label} [{bar}] {fraction:4.0%} {self.done:,}/{self.total:,} "
            f"{rate:,.0f} rec/s ETA {int(eta) // 60}:{int(eta) % 60:02d} "
        )

    def close(self) -> None:
        elapsed = time.monotonic() - self._started
        if self.enabled:
            self.stream.write("\n")
        self.stream.write(f"{self.label}: {self.done:,} records in {elapsed:.1f} s\n")
        self.stream.flush()


def _fail(message: str) -> int:
    print(f"vtiger-mock: {message}", file=sys.stderr)
    return 2


def _modules(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


# ---------------------------------------------------------------------------------------- serve


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vtiger_mock.app import build_app

    settings = Settings.from_env(
        database_url=args.database,
        profile=args.profile,
        vtql_logic=args.vtql_logic,
        host=args.host,
        port=args.port,
        seed=args.seed,
        seed_data=args.seed_data,
        admin_token=args.admin_token,
        admin_enabled=args.admin_enabled,
        log_requests=args.log_requests,
        journal_size=args.journal_size,
        freeze_at=args.freeze_at,
    )
    if settings.log_requests:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log = logging.getLogger("vtiger_mock.requests")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    if args.workers > 1 and settings.database_url in ("sqlite://", "sqlite:///:memory:"):
        print(
            "--workers needs a file database (--database sqlite:///path.db): processes share no memory",
            file=sys.stderr,
        )
        return 2
    app = build_app(settings)
    root = f"http://{settings.host}:{settings.port}"
    counts = app.state.control.health()["total_records"]
    print(f"vtiger-mock {__version__} ({settings.profile}) listening on {root}/webservice.php", flush=True)
    print(f"  user: admin   access key: {settings.admin_access_key}", flush=True)
    print(
        f"  database: {settings.database_url}   records: {counts}   VTQL logic: {settings.vtql_logic}"
        + (f"   seed: {settings.seed}" if settings.seed is not None else ""),
        flush=True,
    )
    if not settings.admin_enabled:
        admin = "off (--no-admin; /_mock/health only)"
    else:
        admin = f"{root}/_mock/" + (
            "   (Authorization: Bearer <admin token>)" if settings.admin_token else ""
        )
    print(f"  admin API: {admin}", flush=True)
    if args.workers > 1:
        # Every worker opens the same database, already initialised above (so no two workers
        # race to install it), and rebuilds the settings from the environment.
        os.environ.update(settings.to_env())
        print(
            f"  workers: {args.workers} (all state in the database: any worker serves any session)",
            flush=True,
        )
        uvicorn.run(
            "vtiger_mock.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_level=args.log_level,
        )
        return 0
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level)
    return 0


# ---------------------------------------------------------------------------------------- offline


def _offline_crm(args: argparse.Namespace) -> Any:
    """The CRM of a database file, without a server (seed and dump with --database)."""
    from vtiger_mock.app import build_crm

    settings = Settings.from_env(
        database_url=args.database, profile=getattr(args, "profile", None), seed=getattr(args, "seed", None)
    )
    # VTIGER_MOCK_SEED_DATA describes how a server starts; here the command says what to load.
    settings = dataclasses.replace(settings, seed_data=None)
    return build_crm(settings), settings


def _client(args: argparse.Namespace) -> Any:
    from vtiger_mock.admin.client import AdminClient

    settings = Settings.from_env()
    url = args.url or os.environ.get("VTIGER_MOCK_URL")
    if not url:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        url = f"http://{host}:{settings.port}"
    return AdminClient(url, token=args.admin_token or settings.admin_token, timeout=None)


# ---------------------------------------------------------------------------------------- seed


def _seed(args: argparse.Namespace) -> int:
    from vtiger_mock.admin.client import AdminAPIError
    from vtiger_mock.crm.seeding import SeedDataError, read_fixture
    from vtiger_mock.crm.synthetic import MODULES

    modules = _modules(args.modules) or list(MODULES)
    if args.modules and args.scale is None:
        return _fail("--modules goes with --scale")
    try:
        if args.output:
            return _seed_to_file(args, modules)
        if args.database:
            from vtiger_mock.crm.seeding import Seeder

            crm, settings = _offline_crm(args)
            seeder = Seeder(crm)
            if args.scale is not None:
                counts = {m: args.scale for m in modules}
                progress = Progress(sum(counts.values()), "seeding")
                seed = args.seed if args.seed is not None else DEFAULT_SCALE_SEED
                loaded = seeder.load_synthetic(counts, seed=seed, progress=progress.update)
                progress.close()
            else:
                source = "demo" if args.demo else args.file
                loaded = seeder.load(read_fixture(source, settings.fixtures_dir))
            crm.db.close()
        else:
            client = _client(args)
            if args.scale is not None:
                print(
                    f"seeding {args.scale * len(modules):,} synthetic records through {client.url} ...",
                    file=sys.stderr,
                )
                result = client.seed(scale=args.scale, modules=modules, seed=args.seed)
            elif args.demo:
                result = client.seed(demo=True)
            else:
                result = client.seed(read_fixture(args.file, Path(".")))
            loaded = result["loaded"]
    except (SeedDataError, ValueError) as exc:
        return _fail(str(exc))
    except AdminAPIError as exc:
        return _fail(f"admin API: {exc}")
    print(json.dumps({"loaded": loaded, "total": sum(loaded.values())}))
    return 0


def _seed_to_file(args: argparse.Namespace, modules: list[str]) -> int:
    """Fixture JSON for `serve --seed-data FILE`, written as it is generated (flat memory)."""
    from vtiger_mock.crm.modules import ModuleRegistry
    from vtiger_mock.crm.schema import load_modules
    from vtiger_mock.crm.state import Profile
    from vtiger_mock.crm.synthetic import SyntheticData

    if args.scale is None:
        return _fail("--output goes with --scale (the demo set is fixtures/demo/records.json already)")
    settings = Settings.from_env(profile=args.profile)
    profile = Profile.load(settings.profile_dir)
    registry = ModuleRegistry(load_modules(settings.profile_dir / "modules"))
    seed = args.seed if args.seed is not None else DEFAULT_SCALE_SEED
    # Ids follow a fresh install's: the file loads on top of one without renumbering.
    data = SyntheticData(registry, {m: args.scale for m in modules}, seed=seed, first_id=profile.first_crmid)
    progress = Progress(data.total, "generating")
    with open(args.output, "w", encoding="utf-8") as out:
        _write_fixture(out, data.records(), progress)
    progress.close()
    print(json.dumps({"written": args.output, "total": data.total}))
    return 0


def _write_fixture(out: IO[str], records: Iterator[tuple[str, dict[str, Any]]], progress: Progress) -> None:
    current: str | None = None
    out.write("{")
    first_record = True
    for module, record in records:
        if module != current:
            out.write("\n ]," if current is not None else "")
            out.write(f"\n {json.dumps(module)}: [")
            current, first_record = module, True
        out.write(("" if first_record else ",") + "\n  " + json.dumps(record, ensure_ascii=False))
        first_record = False
        progress.update(1)
    out.write("\n ]\n}\n" if current is not None else "}\n")


# ---------------------------------------------------------------------------------------- dump


def _dump(args: argparse.Namespace) -> int:
    from vtiger_mock.admin.client import AdminAPIError
    from vtiger_mock.crm.seeding import SeedDataError, Seeder

    modules = _modules(args.modules)
    try:
        if args.database:
            crm, _ = _offline_crm(args)
            data = Seeder(crm).dump(modules)
            crm.db.close()
        else:
            data = _client(args).dump(modules)
    except SeedDataError as exc:
        return _fail(str(exc))
    except AdminAPIError as exc:
        return _fail(f"admin API: {exc}")
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        total = sum(len(rows) for rows in data.values())
        print(json.dumps({"written": args.output, "total": total}), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# ---------------------------------------------------------------------------------------- reset


def _reset(args: argparse.Namespace) -> int:
    from vtiger_mock.admin.client import AdminAPIError
    from vtiger_mock.crm.seeding import SeedDataError

    if args.database:
        from vtiger_mock.app import build_crm
        from vtiger_mock.crm.state import CRM

        settings = Settings.from_env(
            database_url=args.database, profile=args.profile, seed_data=args.seed_data
        )
        # Drop and re-create every table: also brings a file made by an older version up to date.
        crm = CRM(settings.profile_dir, settings.database_url, admin_access_key=settings.admin_access_key)
        crm.db.metadata.drop_all(crm.db.engine)
        crm.db.close()
        try:
            crm = build_crm(settings)
        except SeedDataError as exc:
            return _fail(str(exc))
        print(
            json.dumps({"reset": settings.database_url, "total_records": sum(crm.record_counts().values())})
        )
        crm.db.close()
        return 0
    if args.seed_data:
        return _fail("--seed-data goes with --database (a running server resets to its own start state)")
    try:
        print(json.dumps(_client(args).reset()))
    except AdminAPIError as exc:
        return _fail(f"admin API: {exc}")
    return 0


# ---------------------------------------------------------------------------------------- health


def _health(args: argparse.Namespace) -> int:
    from vtiger_mock.admin.client import AdminAPIError

    try:
        health = _client(args).health()
    except AdminAPIError as exc:
        return _fail(f"not healthy: {exc}")
    print(json.dumps(health))
    return 0 if health.get("status") == "ok" else 1


# ---------------------------------------------------------------------------------------- parser


def _remote_options(parser: argparse.ArgumentParser, *, database: bool = True) -> None:
    where = parser.add_argument_group(
        "where (default: the running server at $VTIGER_MOCK_URL or 127.0.0.1:8000)"
    )
    target = where.add_mutually_exclusive_group()
    target.add_argument("--url", help="root URL of a running vtiger-mock, e.g. http://127.0.0.1:8000")
    if database:
        target.add_argument(
            "--database", help="work on this database instead of a server (sqlite:///path.db)"
        )
    where.add_argument("--admin-token", help="bearer token of the admin API (or VTIGER_MOCK_ADMIN_TOKEN)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vtiger-mock",
        description="An emulator of the Vtiger CRM webservice, with a test-control API under /_mock/.",
    )
    parser.add_argument("--version", action="version", version=f"vtiger-mock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the emulator",
        description="Run the emulator. Every option can also be set by the VTIGER_MOCK_* variable named in its help.",
    )
    serve.add_argument("--host", default=None, help="address to bind (VTIGER_MOCK_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (VTIGER_MOCK_PORT; default 8000)")
    serve.add_argument(
        "--database",
        default=None,
        help="SQLAlchemy URL (VTIGER_MOCK_DATABASE); default in memory, fresh at every start; "
        "sqlite:///path.db persists",
    )
    serve.add_argument(
        "--profile", default=None, help="vendor profile (VTIGER_MOCK_PROFILE; default vtiger-8.2)"
    )
    serve.add_argument(
        "--vtql-logic",
        choices=["left-to-right", "sql"],
        default=None,
        help="how AND/OR combine in VTQL (VTIGER_MOCK_VTQL_LOGIC): left-to-right (documented, default) "
        "or sql (what 8.2.0 does)",
    )
    serve.add_argument(
        "--seed-data",
        metavar="demo|FILE",
        default=None,
        help="records to start from when the database is new: the demo company or fixture JSON "
        "as `vtiger-mock dump` writes it (VTIGER_MOCK_SEED_DATA)",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="deterministic mode: the same tokens, session ids and generated data on every run (VTIGER_MOCK_SEED)",
    )
    serve.add_argument(
        "--freeze-at",
        type=float,
        default=None,
        metavar="EPOCH",
        help="start with the clock frozen at this epoch; resets return to it (VTIGER_MOCK_FREEZE_AT)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        help="require 'Authorization: Bearer TOKEN' on /_mock/ (VTIGER_MOCK_ADMIN_TOKEN)",
    )
    serve.add_argument(
        "--no-admin",
        dest="admin_enabled",
        action="store_const",
        const=False,
        default=None,
        help="switch the admin API off; only a bare /_mock/health stays (VTIGER_MOCK_NO_ADMIN=1)",
    )
    serve.add_argument(
        "--log-requests",
        action="store_const",
        const=True,
        default=None,
        help="log one line per webservice request to stderr, secrets masked (VTIGER_MOCK_LOG_REQUESTS=1)",
    )
    serve.add_argument(
        "--journal-size",
        type=int,
        default=None,
        metavar="N",
        help="requests kept by the journal, 0 = off (VTIGER_MOCK_JOURNAL_SIZE; default 1000)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing one file database (default 1); each keeps its own admin journal and faults",
    )
    serve.set_defaults(func=_serve)

    seed = sub.add_parser(
        "seed",
        help="load the demo company, a fixture file or N synthetic records per module",
        description="Load records into a running server (default), a database file (--database), "
        "or write a synthetic set to a fixture file (--output) for `serve --seed-data FILE`.",
    )
    source = seed.add_argument_group("what").add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="the demo company (fixtures/demo/)")
    source.add_argument("--file", help="fixture JSON, the format `vtiger-mock dump` writes")
    source.add_argument("--scale", type=int, metavar="N", help="N synthetic records per module")
    seed.add_argument(
        "--modules", help="with --scale: comma-separated modules (default: every module the generator knows)"
    )
    seed.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help=f"with --scale: generator seed (default {DEFAULT_SCALE_SEED})",
    )
    seed.add_argument("--profile", default=None, help="vendor profile (default vtiger-8.2)")
    seed.add_argument("--output", "-o", help="with --scale: write fixture JSON here instead of loading it")
    _remote_options(seed)
    seed.set_defaults(func=_seed)

    dump = sub.add_parser(
        "dump",
        help="export the current state as fixture JSON",
        description="Export live records as fixture JSON that `serve --seed-data FILE` and `seed --file` load back.",
    )
    dump.add_argument("--modules", help="comma-separated modules (default: all with records)")
    dump.add_argument("--output", "-o", help="file to write (default: stdout)")
    dump.add_argument("--profile", default=None, help="vendor profile, with --database (default vtiger-8.2)")
    _remote_options(dump)
    dump.set_defaults(func=_dump)

    reset = sub.add_parser(
        "reset",
        help="reset a running server, or a database file to a fresh install",
        description="POST /_mock/reset on a running server (back to its start state), or with --database "
        "re-create a database file as a fresh install (plus --seed-data).",
    )
    reset.add_argument(
        "--seed-data", metavar="demo|FILE", help="with --database: records to load after the reset"
    )
    reset.add_argument("--profile", default=None, help="vendor profile, with --database (default vtiger-8.2)")
    _remote_options(reset)
    reset.set_defaults(func=_reset)

    health = sub.add_parser(
        "health",
        help="check a running server (exit status 0 when healthy; for container health checks)",
        description="GET /_mock/health of a running server; exit status 0 when it answers ok.",
    )
    _remote_options(health, database=False)
    health.set_defaults(func=_health)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as exc:  # bad VTIGER_MOCK_* values and the like: a message, not a traceback
        return _fail(str(exc))
    except Exception as exc:
        import sqlalchemy.exc  # here, not at the top: `vtiger-mock health` must start fast

        if isinstance(exc, sqlalchemy.exc.OperationalError):  # e.g. a folder it cannot write in
            return _fail(f"cannot use the database: {exc.orig}")
        raise


if __name__ == "__main__":
    sys.exit(main())
