"""Reset and snapshots: what `POST /_mock/reset` costs, by the size of the state reset to.

For each size, the state the server starts with holds that many records (Accounts and Contacts,
half each); a test then dirties it (one create) and resets.  Measured:

- `reset`: MockControl.reset() in-process (the work: restore the baseline image, restart the
  id generator, clock, faults, journal);
- `http_reset`: POST /_mock/reset to a live uvicorn server on 127.0.0.1, as a test or the pytest
  plugin sees it (HTTP round trip included);
- `snapshot` / `restore`: POST /_mock/snapshots/{name} and .../restore, in-process;
- for the in-memory database (the default) and a SQLite file in WAL mode.

    python -m bench.reset                 # prints the JSON result
    python -m bench.reset --sizes 3000    # chosen sizes
    python -m bench --only reset          # through the bench runner (writes bench/results/reset.json)

It reports; it never fails on a slow number.  The goal it watches: reset under 10 ms with a few
thousand records.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import Options, fmt_ms, latency_summary, md_table, timed_loop
from bench.dataset import load_accounts, load_contacts
from vtiger_mock.app import build_app
from vtiger_mock.pytest_plugin import ServerThread
from vtiger_mock.settings import Settings

GOAL_MS = 10.0  # with a few thousand records
ITERATIONS = 200
BUDGET_S = 5.0


def _dirty(app: Any) -> None:
    """One create, as a test would make, so that every reset has something to undo."""
    crm = app.state.crm
    with crm.db.transaction("write") as conn:
        actor = crm.auth.actor(conn, 1)
        crm.records.create(
            conn, crm.modules["Accounts"], {"accountname": "dirty", "assigned_user_id": "19x1"}, actor
        )


def _measure(size: int, database_url: str, iterations: int, budget: float) -> dict[str, Any]:
    app = build_app(Settings(database_url=database_url))
    crm, control = app.state.crm, app.state.control
    account_ids, _ = load_accounts(crm, size // 2)
    load_contacts(crm, size - size // 2, account_ids)
    control.capture_baseline()  # the server "starts" with these records, as with --seed-data
    image = control.images.baseline

    reset_samples: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(iterations):
        _dirty(app)  # not timed: only the reset counts
        started = time.perf_counter()
        control.reset()
        reset_samples.append((time.perf_counter() - started) * 1000)
        if time.perf_counter() > deadline:
            break
    snapshot_samples = timed_loop(lambda: control.snapshot("bench"), iterations, budget)
    restore_samples = timed_loop(lambda: control.restore("bench"), iterations, budget)

    server = ServerThread(app)
    url = server.start()
    try:
        request = urllib.request.Request(f"{url}/_mock/reset", data=b"", method="POST")

        def http_reset() -> None:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()

        http_samples = timed_loop(http_reset, iterations, budget)
        # The server still answers the webservice after all those resets.
        with urllib.request.urlopen(f"{url}/webservice.php?operation=getchallenge&username=admin") as r:
            assert json.loads(r.read())["success"] is True
    finally:
        server.stop()
        crm.db.engine.dispose()
    return {
        "records": size,
        "database": "memory" if database_url == "sqlite://" else "file",
        "image_bytes": image.size_bytes if image is not None else None,
        "reset": latency_summary(reset_samples),
        "http_reset": latency_summary(http_samples),
        "snapshot": latency_summary(snapshot_samples),
        "restore": latency_summary(restore_samples),
    }


def run(opts: Options) -> dict[str, Any]:
    iterations = 30 if opts.quick else ITERATIONS
    budget = 1.0 if opts.quick else BUDGET_S
    rows = []
    with tempfile.TemporaryDirectory(prefix="vtiger-mock-bench-") as tmp:
        for size in opts.reset_sizes:
            rows.append(_measure(size, "sqlite://", iterations, budget))
            if size <= 10_000:  # a file database: WAL, the same backup API
                rows.append(_measure(size, f"sqlite:///{Path(tmp) / f'reset-{size}.db'}", iterations, budget))
    return {"goal_ms": GOAL_MS, "results": rows}


def table(result: dict[str, Any]) -> str:
    rows = [
        [
            f"{r['records']:,}",
            r["database"],
            f"{(r['image_bytes'] or 0) / 1e6:.1f} MB",
            fmt_ms(r["reset"]["p50_ms"]),
            fmt_ms(r["reset"]["p99_ms"]),
            fmt_ms(r["http_reset"]["p50_ms"]),
            fmt_ms(r["snapshot"]["p50_ms"]),
            fmt_ms(r["restore"]["p50_ms"]),
        ]
        for r in result["results"]
    ]
    headers = ["records", "database", "image", "reset p50 ms", "reset p99 ms", "HTTP reset p50 ms"]
    return md_table([*headers, "snapshot p50 ms", "restore p50 ms"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reset", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,3000,10000", help="comma-separated record counts")
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip())
    opts = Options(reset_sizes=sizes, quick=args.quick)
    print(json.dumps(run(opts), indent=2))


if __name__ == "__main__":
    main()
