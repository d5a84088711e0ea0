"""Memory: resident set size of the server process, idle and holding 100,000 records.

Read from /proc/<pid>/status after the server has answered (RSS now, and its high-water mark).
"""

from __future__ import annotations

import sys
from typing import Any

from bench import loadgen
from bench.common import (
    Options,
    ceiling_args,
    emulator_args,
    free_port,
    md_table,
    rss_mb,
    running,
)


async def _exercise(port: int) -> None:
    """A login, a retrieve-sized query and a count: what a client does first."""
    conn = await loadgen.connect(port)
    try:
        session = await loadgen.login(conn, port)
        for query in ("SELECT * FROM Accounts LIMIT 100;", "SELECT count(*) FROM Accounts;"):
            await loadgen.call(
                conn, port, "GET", {"operation": "query", "sessionName": session, "query": query}
            )
    finally:
        conn.close()


def _measure(args: list[str], port: int, exercise: bool) -> dict[str, Any]:
    with running(args, port) as server:
        idle = rss_mb(server.pid)
        out: dict[str, Any] = {"idle": idle}
        if exercise:
            loadgen.run_on_new_loop(_exercise(port))
            out["after_queries"] = rss_mb(server.pid)
    return out


def run(opts: Options) -> dict[str, Any]:
    n = opts.memory_records
    cases = []
    port = free_port()
    cases.append({"case": "ceiling (bare Starlette)", **_measure(ceiling_args(port), port, False)})
    port = free_port()
    cases.append({"case": "in-memory, fresh install", **_measure(emulator_args(port), port, True)})
    port = free_port()
    preloaded = [sys.executable, "-m", "bench.preloaded", "--port", str(port), "--accounts", str(n)]
    cases.append({"case": f"in-memory, {n:,} Accounts", **_measure(preloaded, port, True)})
    return {"cases": cases, "target_mb": {"idle": 80}}


def table(result: dict[str, Any]) -> str:
    rows = []
    for c in result["cases"]:
        after = c.get("after_queries", {})
        rows.append(
            [
                c["case"],
                c["idle"]["rss_mb"],
                after.get("rss_mb", "–"),
                max(c["idle"]["hwm_mb"], after.get("hwm_mb", 0)),
            ]
        )
    table = md_table(["server", "RSS idle MB", "RSS after queries MB", "peak MB"], rows)
    fresh = next((c for c in result["cases"] if c["case"].startswith("in-memory, fresh")), None)
    if fresh is not None:
        target = result["target_mb"]["idle"]
        verdict = "✓" if fresh["idle"]["rss_mb"] < target else "✗"
        table += f"\n\nidle RSS target < {target} MB {verdict}"
    return table
