"""VTQL and record-store scaling, in process (no HTTP): 10k / 100k (/ 1M opt-in) Accounts.

Each request goes through the real Dispatcher (session lookup, the operation, envelope and JSON
encoding) exactly as the server runs it, minus the socket.  For queries, `sql` is the compiled
statement alone on the same connection: the difference is Python (parse, compile, render, encode).
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Callable
from typing import Any

from bench.common import Options, fmt_ms, latency_summary, md_table, timed_loop
from bench.dataset import OWNERS, account_name, load_accounts, new_crm
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.query import compile_vtql
from vtiger_mock.protocol.dispatch import Dispatcher
from vtiger_mock.protocol.registry import OperationRegistry
from vtiger_mock.protocol.request import WsRequest
from vtiger_mock.settings import Settings

EQUALITY_TARGET_MS = 5.0  # the VTQL issue: indexed equality under 5 ms p50 at 1,000,000 rows


class InProcess:
    """A logged-in client talking to a Dispatcher directly.

    `kept_answers=False`: every query is worked out from the database, as if never asked before
    (the VTQL scaling part measures the engine, not the kept answers of operations/answers.py).
    """

    def __init__(self, crm: CRM, *, kept_answers: bool = True) -> None:
        settings = Settings()
        self.crm = crm
        self.kept_answers = kept_answers
        self.dispatcher = Dispatcher(
            crm, OperationRegistry.from_file(settings.profile_dir / "operations.json"), settings
        )
        token = self.call("GET", operation="getchallenge", username="admin")["token"]
        key = md5_hex(token + settings.admin_access_key)
        self.session = self.call("POST", operation="login", username="admin", accessKey=key)["sessionName"]

    def call(self, method: str, **params: str) -> Any:
        request = (
            WsRequest(method="GET", query=params, body={})
            if method == "GET"
            else WsRequest(method="POST", query={}, body=params)
        )
        response = self.dispatcher.handle(request)
        data = json.loads(bytes(response.body))
        if not data.get("success"):
            raise RuntimeError(f"{params.get('operation')} failed: {data}")
        return data["result"]

    def request(self, method: str, **params: str) -> WsRequest:
        params = {"sessionName": self.session, **params}
        if method == "GET":
            return WsRequest(method="GET", query=params, body={})
        return WsRequest(method="POST", query={}, body=params)

    def handle(self, request: WsRequest) -> None:
        if not self.kept_answers:
            self.crm.modules.memo.pop("answers", None)
        body = bytes(self.dispatcher.handle(request).body)
        if not body.startswith(b'{"success":true'):
            raise RuntimeError(f"failed: {body[:300]!r}")

    def sql_only(self, text: str) -> Callable[[], None]:
        """Run just the SQL statement the query compiles to (same connection setup as a request)."""
        query = compile_vtql(self.crm, text, "left-to-right")
        prepared, arguments = query.prepared, query.compiled.arguments(query.values)
        assert prepared is not None and arguments is not None

        def run() -> None:
            with self.crm.db.transaction() as conn:
                prepared.rows(conn, **arguments)

        return run


def _queries(size: int, ids: list[int], rng: random.Random) -> dict[str, Callable[[], str]]:
    """Query name → a function producing the next query text (random where it matters)."""
    parents = ids[: max(1, len(ids) // 2)]  # half of the Accounts point to an earlier one
    return {
        "eq_accountname": lambda: (
            f"SELECT * FROM Accounts WHERE accountname = '{account_name(rng.randrange(size))}';"
        ),
        "eq_reference": lambda: f"SELECT * FROM Accounts WHERE account_id = '11x{rng.choice(parents)}';",
        "eq_assigned_user": lambda: (
            f"SELECT * FROM Accounts WHERE assigned_user_id = '20x{rng.choice(OWNERS[1:])}';"
        ),
        "count": lambda: "SELECT count(*) FROM Accounts;",
        "count_where_indexed": lambda: "SELECT count(*) FROM Accounts WHERE assigned_user_id = '19x1';",
        "count_where_unindexed": lambda: "SELECT count(*) FROM Accounts WHERE industry = 'Banking';",
        "page_middle": lambda: f"SELECT * FROM Accounts LIMIT {size // 2},100;",
        "page_last": lambda: f"SELECT * FROM Accounts LIMIT {max(0, size - 100)},100;",
        "like_prefix": lambda: (
            f"SELECT * FROM Accounts WHERE accountname LIKE '{account_name(rng.randrange(size))[:-2]}%';"
        ),
    }


def _measure_size(size: int, opts: Options) -> dict[str, Any]:
    crm = new_crm()
    try:
        ids, load_s = load_accounts(crm, size)
        client = InProcess(crm, kept_answers=False)
        rng = random.Random(size)
        queries: dict[str, Any] = {}
        gc.collect()
        for name, make in _queries(size, ids, rng).items():
            # Each request is built before the clock starts; only handle() is timed.
            pending = [
                client.request("GET", operation="query", query=make()) for _ in range(opts.vtql_iterations)
            ]
            it = iter(pending)
            client.handle(pending[0])  # warm: statement cache, SQLite page cache
            cpu0 = time.process_time()
            samples = timed_loop(lambda it=it: client.handle(next(it)), len(pending), opts.vtql_budget)
            cpu_ms = (time.process_time() - cpu0) * 1000 / len(samples)
            sql = timed_loop(client.sql_only(make()), opts.vtql_iterations, opts.vtql_budget / 2)
            queries[name] = {
                **latency_summary(samples),
                # CPU per request: steadier than wall time when other work shares the machine.
                "cpu_ms": round(cpu_ms, 3),
                "sql_p50_ms": latency_summary(sql)["p50_ms"],
            }
        records = _records(client, ids, rng, opts)
    finally:
        crm.db.engine.dispose()
    return {"rows": size, "load_s": round(load_s, 2), "queries": queries, "records": records}


def _records(client: InProcess, ids: list[int], rng: random.Random, opts: Options) -> dict[str, Any]:
    """retrieve / revise / create at this table size (create checks Accounts' unique names)."""
    n = opts.vtql_iterations
    tag = f"{random.randrange(16**8):08x}"
    ops: dict[str, list[WsRequest]] = {
        "retrieve": [
            client.request("GET", operation="retrieve", id=f"11x{rng.choice(ids)}") for _ in range(n)
        ],
        "revise": [
            client.request(
                "POST",
                operation="revise",
                element=json.dumps({"id": f"11x{rng.choice(ids)}", "phone": f"+1 555 {i:04d}"}),
            )
            for i in range(n)
        ],
        "create": [
            client.request(
                "POST",
                operation="create",
                elementType="Accounts",
                element=json.dumps({"accountname": f"Bench {tag} {i}", "assigned_user_id": "19x1"}),
            )
            for i in range(n + 1)
        ],
    }
    out = {}
    for name, pending in ops.items():
        it = iter(pending)
        client.handle(next(it))
        cpu0 = time.process_time()
        samples = timed_loop(lambda it=it: client.handle(next(it)), len(pending) - 1, opts.vtql_budget)
        cpu_ms = (time.process_time() - cpu0) * 1000 / len(samples)
        out[name] = {**latency_summary(samples), "cpu_ms": round(cpu_ms, 3)}
    return out


def run(opts: Options) -> dict[str, Any]:
    sizes = []
    for size in opts.vtql_sizes:
        t0 = time.monotonic()
        sizes.append({**_measure_size(size, opts), "seconds": round(time.monotonic() - t0, 1)})
    return {"sizes": sizes, "equality_target_ms": EQUALITY_TARGET_MS, "growth": _growth(sizes)}


def _growth(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """p50 at the largest size ÷ p50 at the smallest, next to the ratio of the sizes: a cost that
    grows about as fast as the table is linear."""
    if len(sizes) < 2:
        return {}
    small, large = sizes[0], sizes[-1]
    out: dict[str, Any] = {"rows_ratio": large["rows"] / small["rows"]}
    for section in ("queries", "records"):
        for name, stats in large[section].items():
            base = small[section][name]["p50_ms"]
            out[name] = round(stats["p50_ms"] / base, 1) if base else None
    return out


def table(result: dict[str, Any]) -> str:
    sizes = result["sizes"]
    headers = ["p50 / p99 ms", *[f"{s['rows']:,} rows" for s in sizes], "growth"]
    growth = result.get("growth", {})
    rows = []
    for section in ("queries", "records"):
        for name in sizes[0][section]:
            cells = []
            for s in sizes:
                st = s[section][name]
                cell = f"{fmt_ms(st['p50_ms'])} / {fmt_ms(st['p99_ms'])}"
                if "sql_p50_ms" in st:
                    cell += f" (sql {fmt_ms(st['sql_p50_ms'])})"
                cells.append(cell)
            g = growth.get(name)
            rows.append([name, *cells, f"{g}×" if g is not None else "–"])
    note = ""
    largest = sizes[-1]
    eq = [
        largest["queries"][q]["p50_ms"] for q in ("eq_accountname", "eq_reference") if q in largest["queries"]
    ]
    if eq:
        target = result["equality_target_ms"]
        verdict = "✓" if max(eq) < target else "✗"
        note += (
            f"\n\nindexed equality at {largest['rows']:,} rows: p50 ≤ {max(eq):.2f} ms "
            f"(target < {target:g} ms at 1,000,000 rows) {verdict}"
        )
    if growth:
        note += f"\n\ngrowth = p50 at {sizes[-1]['rows']:,} ÷ p50 at {sizes[0]['rows']:,} rows (table grew {growth['rows_ratio']:.0f}×)"
    return md_table(headers, rows) + note
