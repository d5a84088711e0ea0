"""Multi-process: throughput of 1 vs 2 server processes sharing one SQLite file (WAL).

All state is in the database, so any process serves any session: every worker logs in through
the first process and then sends its requests wherever its connection goes.

With `vtiger-mock serve --workers N` (uvicorn's process manager, one listening socket) both
deployments are the shipped command.  Until that flag exists, "2 workers" is two independent
`vtiger-mock serve` processes on the same file with the client's connections split between them,
which exercises the same thing (shared state, cross-process sessions), minus uvicorn's supervisor.

On a 2-core machine the load generator needs a core of its own, so 2 workers cannot double the
throughput here; what this shows is that they scale at all and stay correct.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.common import (
    Options,
    Server,
    children_of,
    cli_command,
    cpu_seconds,
    emulator_args,
    free_port,
    md_table,
    median,
    start_server,
    stop_server,
)
from bench.dataset import account_name, build_file_database
from bench.load import factory

SCENARIOS = ("retrieve", "query_where", "create")
CONCURRENCY = 8


def workers_flag_supported() -> bool:
    try:
        out = subprocess.run(
            [*cli_command(), "serve", "--help"], capture_output=True, text=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "--workers" in out


@dataclass
class Deployment:
    label: str
    servers: list[Server]
    ports: list[int]  # connections are spread over these round-robin

    def pids(self) -> list[int]:
        """The processes doing the work (uvicorn's workers, not its supervisor)."""
        out = []
        for server in self.servers:
            out += children_of(server.pid) or [server.pid]
        return out


@contextlib.contextmanager
def deployments(url: str) -> Iterator[tuple[str, list[Deployment]]]:
    started: list[Server] = []
    try:
        if workers_flag_supported():
            mode = "vtiger-mock serve --workers N"
            out = []
            for n in (1, 2):
                port = free_port()
                server = start_server(emulator_args(port, "--database", url, "--workers", str(n)), port)
                started.append(server)
                out.append(Deployment(f"{n} worker{'s' if n > 1 else ''}", [server], [port]))
        else:
            mode = "independent processes on one database (no --workers flag yet)"
            ports = [free_port(), free_port()]
            for port in ports:
                started.append(start_server(emulator_args(port, "--database", url), port))
            out = [
                Deployment("1 process", started[:1], ports[:1]),
                Deployment("2 processes", started, ports),
            ]
        yield mode, out
    finally:
        for server in started:
            stop_server(server)


async def _window(
    dep: Deployment, scenario: str, opts: Options, ids: list[int], names: list[str]
) -> dict[str, Any]:
    login_port = dep.ports[0]
    conns, factories = [], []
    for w in range(CONCURRENCY):
        port = dep.ports[w % len(dep.ports)]
        # The session comes from the first process; the requests go wherever the connection does.
        login_conn = await loadgen.connect(login_port)
        session = await loadgen.login(login_conn, login_port)
        login_conn.close()
        conns.append(await loadgen.connect(port))
        factories.append(factory(scenario, session, port, w, ids, names))
    try:
        await loadgen.run_load(conns, factories, min(0.2, opts.duration))  # warm-up
        pids = dep.pids()
        cpu0 = [cpu_seconds(p) for p in pids]
        result = (await loadgen.run_load(conns, factories, opts.duration)).summary()
        result["worker_cpu_s"] = [round(cpu_seconds(p) - c, 2) for p, c in zip(pids, cpu0, strict=True)]
    finally:
        for c in conns:
            c.close()
    return result


def run(opts: Options) -> dict[str, Any]:
    return loadgen.run_on_new_loop(_run(opts))


async def _run(opts: Options) -> dict[str, Any]:
    n = opts.multiproc_records
    with tempfile.TemporaryDirectory(prefix="vtiger-mock-bench-") as tmp:
        db = Path(tmp) / "crm.db"
        build_file_database(db, n, n)
        url = f"sqlite:///{db}"
        # build_file_database gives ids right after the fresh install's records, in order.
        first_id = _first_account_id(db)
        ids = list(range(first_id, first_id + n))
        names = [account_name(i) for i in range(n)]
        results = []
        with deployments(url) as (mode, deps):
            for scenario in SCENARIOS:
                rounds: dict[str, list[dict[str, Any]]] = {d.label: [] for d in deps}
                for _ in range(opts.rounds):  # interleaved: 1, 2, 1, 2, …
                    for dep in deps:
                        rounds[dep.label].append(await _window(dep, scenario, opts, ids, names))
                row: dict[str, Any] = {"scenario": scenario, "concurrency": CONCURRENCY}
                for label, rs in rounds.items():
                    row[label] = {
                        "rps": round(median([r["rps"] for r in rs]), 1),
                        "p50_ms": round(median([r["p50_ms"] for r in rs]), 3),
                        "p99_ms": round(median([r["p99_ms"] for r in rs]), 3),
                        # Cores the server processes used: shows whether the machine had a
                        # second core to give (on a shared 2-core box it often has not).
                        "server_cores": round(
                            median([sum(r["worker_cpu_s"]) / r["elapsed_s"] for r in rs]), 2
                        ),
                        "errors": sum(r["errors"] for r in rs),
                        "first_error": next((r["first_error"] for r in rs if "first_error" in r), None),
                        "rounds": rs,
                    }
                one, two = (row[d.label]["rps"] for d in deps)
                row["speedup"] = round(two / one, 2) if one else None
                results.append(row)
    return {"mode": mode, "deployments": [d.label for d in deps], "scenarios": results}


def _first_account_id(db: Path) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT min(crmid) FROM crmentity WHERE setype = 'Accounts'").fetchone()
    return int(row[0])


def table(result: dict[str, Any]) -> str:
    one, two = result["deployments"]
    rows = [
        [
            r["scenario"],
            r["concurrency"],
            f"{r[one]['rps']:.0f}",
            f"{r[two]['rps']:.0f}",
            f"{r['speedup']}×",
            f"{r[one]['server_cores']} / {r[two]['server_cores']}",
            r[one]["errors"] + r[two]["errors"],
        ]
        for r in result["scenarios"]
    ]
    return f"mode: {result['mode']}\n\n" + md_table(
        ["scenario", "c", f"{one} req/s", f"{two} req/s", "speedup", "server cores used", "errors"], rows
    )
