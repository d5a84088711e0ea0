"""Start-up: process start → first successful getchallenge, for the shipped CLI.

Measured for an in-memory database (what a CI job starts) and for a SQLite file holding 100,000
records, next to the bare ceiling app (the floor: interpreter, Starlette and uvicorn alone).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.common import (
    Options,
    ceiling_args,
    emulator_args,
    fmt_ms,
    free_port,
    md_table,
    median,
    running,
)
from bench.dataset import build_file_database


def _starts(args_for_port: Any, repeats: int) -> dict[str, Any]:
    samples = []
    for _ in range(repeats):
        port = free_port()
        with running(args_for_port(port), port) as server:
            samples.append(server.started_s)
    return {
        "median_s": round(median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
        "samples_s": [round(s, 3) for s in samples],
    }


def run(opts: Options) -> dict[str, Any]:
    repeats = opts.startup_repeats
    cases: list[dict[str, Any]] = []
    cases.append({"case": "ceiling (bare Starlette)", **_starts(ceiling_args, repeats)})
    cases.append({"case": "in-memory", **_starts(emulator_args, repeats)})
    with tempfile.TemporaryDirectory(prefix="vtiger-mock-bench-") as tmp:
        db = Path(tmp) / "crm.db"
        build = build_file_database(db, opts.startup_records)
        url = f"sqlite:///{db}"
        cases.append(
            {
                "case": f"file, {opts.startup_records:,} records",
                "database_mb": round(db.stat().st_size / 2**20, 1),
                "build": build,
                **_starts(lambda port: emulator_args(port, "--database", url), repeats),
            }
        )
    return {"cases": cases, "target_s": {"in-memory": 1.0}}


def table(result: dict[str, Any]) -> str:
    rows = [
        [
            c["case"],
            fmt_ms(c["median_s"] * 1000, 0),
            fmt_ms(c["min_s"] * 1000, 0),
            fmt_ms(c["max_s"] * 1000, 0),
        ]
        for c in result["cases"]
    ]
    table = md_table(["start-up → first getchallenge", "median ms", "min ms", "max ms"], rows)
    memory = next((c for c in result["cases"] if c["case"] == "in-memory"), None)
    if memory is not None:
        target = result["target_s"]["in-memory"]
        verdict = "✓" if memory["median_s"] < target else "✗"
        table += f"\n\nin-memory start-up target < {target * 1000:.0f} ms {verdict}"
    return table
