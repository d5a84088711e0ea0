"""HTTP scenarios against the real `vtiger-mock serve`, interleaved with the ceiling (A B A B …).

Both servers run side by side for the whole part; one is idle while the other is measured.  Each
round measures the ceiling, then the emulator, for the same scenario, concurrency, request bytes
and duration; the reported numbers are medians over rounds and the share of the ceiling is the
median of the per-round ratios (a slow minute of the machine hits both halves of a pair).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable
from typing import Any

from bench import loadgen
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
from bench.dataset import CITIES, INDUSTRIES, account_name, new_account_id
from bench.loadgen import Connection, RequestFactory, connect, get_request, post_request

SCENARIOS = (
    "challenge",
    "retrieve",
    "retrieve_new",
    "query100",
    "query_where",
    "query_new",
    "count",
    "create",
    "revise",
    "describe",
)

# The targets, as shares of the ceiling.
TARGETS = {"challenge": 0.70, "retrieve": 0.50, "revise": 0.30, "create": 0.30, "query100": 0.15}
# Real Vtiger 8.2.0's share of the same ceiling (the better end of each measured range);
# vtiger-mock must reach at least 10x that.
REAL_VTIGER = {
    "challenge": 1 / 21,
    "retrieve": 1 / 55,
    "retrieve_new": 1 / 55,  # real Vtiger keeps no answers: every retrieve is a new one
    "query_where": 1 / 52,
    "query_new": 1 / 52,  # query_where's text is new to real Vtiger every time too
    "count": 1 / 51,
    "query100": 1 / 81,
    "describe": 1 / 78,
    "revise": 1 / 196,
    "create": 1 / 207,
}
FAKE_SESSION = "5f6a7b8c9d0e1f2a3b4c5"  # the ceiling ignores it; same length as a real one
WARMUP_S = 0.3
# Requests retrieve_new has sent in this process: each one pads its id with more zeros.
_RETRIEVE_NEW = itertools.count()


async def seed(port: int, accounts: int, contacts: int) -> tuple[list[int], list[str]]:
    """Load the scenario data through the create operation (4 connections); returns the Account
    ids and names."""
    conns = [await connect(port) for _ in range(4)]
    sessions = [await loadgen.login(c, port) for c in conns]
    account_ids: list[int] = []
    names: list[str] = []
    rng = random.Random(7)

    async def create(worker: int, element_type: str, indexes: range, make: Callable[[int], Any]) -> None:
        for i in indexes[worker::4]:
            result = await loadgen.call(
                conns[worker],
                port,
                "POST",
                {
                    "operation": "create",
                    "sessionName": sessions[worker],
                    "elementType": element_type,
                    "element": json.dumps(make(i)),
                },
            )
            if element_type == "Accounts":
                account_ids.append(int(result["id"].split("x")[1]))
                names.append(result["accountname"])

    def account(i: int) -> dict[str, str]:
        return {
            "accountname": account_name(i),
            "industry": INDUSTRIES[i % len(INDUSTRIES)],
            "phone": f"+1 555 {i:04d}",
            "bill_city": CITIES[i % len(CITIES)],
            "assigned_user_id": "19x1",
        }

    def contact(i: int) -> dict[str, str]:
        parent = rng.choice(account_ids) if account_ids else None
        return {
            "firstname": f"First{i}",
            "lastname": f"Last{i}",
            "email": f"contact{i}@example.com",
            "account_id": f"11x{parent}" if parent else "",
            "assigned_user_id": "19x1",
        }

    await asyncio.gather(*(create(w, "Accounts", range(accounts), account) for w in range(4)))
    await asyncio.gather(*(create(w, "Contacts", range(contacts), contact) for w in range(4)))
    for c in conns:
        c.close()
    return account_ids, names


def factory(
    scenario: str, session: str, port: int, worker: int, ids: list[int], names: list[str]
) -> RequestFactory:
    """The requests one worker sends; pre-built (and replayed round-robin) wherever possible."""
    rng = random.Random(f"{scenario}:{worker}")

    def get(**params: str) -> bytes:
        return get_request(params, port)

    if scenario == "challenge":
        return loadgen.cycle([get(operation="getchallenge", username="admin")])
    if scenario == "retrieve":
        return loadgen.cycle(
            [get(operation="retrieve", sessionName=session, id=f"11x{rng.choice(ids)}") for _ in range(500)]
        )
    if scenario == "retrieve_new":
        # retrieve with an id text never sent before, so no kept answer serves it
        # (operations/answers.py).  The count is shared by the workers: every text in the run is new.
        def next_retrieve() -> bytes:
            ws_id = new_account_id(ids, next(_RETRIEVE_NEW))
            return get_request({"operation": "retrieve", "sessionName": session, "id": ws_id}, port)

        return next_retrieve
    if scenario == "query100":
        return loadgen.cycle(
            [get(operation="query", sessionName=session, query="SELECT * FROM Accounts LIMIT 100;")]
        )
    if scenario == "query_where":
        return loadgen.cycle(
            [
                get(
                    operation="query",
                    sessionName=session,
                    query=f"SELECT * FROM Accounts WHERE accountname = '{rng.choice(names)}';",
                )
                for _ in range(500)
            ]
        )
    if scenario == "query_new":
        # query_where with a text never sent before: no kept answer can serve it (operations/answers.py),
        # so this is the price of parsing (from the statement's shape), compiling, reading, printing.
        counter = iter(range(10**9))

        def next_query() -> bytes:
            name = rng.choice(names)
            text = f"SELECT * FROM Accounts WHERE accountname = '{name}' AND phone != '{worker}-{next(counter)}';"
            return get_request({"operation": "query", "sessionName": session, "query": text}, port)

        return next_query
    if scenario == "count":
        return loadgen.cycle(
            [get(operation="query", sessionName=session, query="SELECT count(*) FROM Accounts;")]
        )
    if scenario == "describe":
        return loadgen.cycle([get(operation="describe", sessionName=session, elementType="Accounts")])
    if scenario == "revise":
        return loadgen.cycle(
            [
                post_request(
                    {
                        "operation": "revise",
                        "sessionName": session,
                        "element": json.dumps(
                            {"id": f"11x{rng.choice(ids)}", "phone": f"+1 555 {rng.randrange(10_000):04d}"}
                        ),
                    },
                    port,
                )
                for _ in range(500)
            ]
        )
    if scenario == "create":
        # Accounts refuse duplicate names: every request carries a new one.
        tag = f"{random.randrange(16**8):08x}-{worker}"  # unseeded: unique across rounds and runs
        counter = iter(range(10**9))

        def next_create() -> bytes:
            element = {"accountname": f"Load {tag}-{next(counter)}", "assigned_user_id": "19x1"}
            return post_request(
                {
                    "operation": "create",
                    "sessionName": session,
                    "elementType": "Accounts",
                    "element": json.dumps(element),
                },
                port,
            )

        return next_create
    raise ValueError(f"unknown scenario {scenario!r}")


async def _connections(port: int, n: int, log_in: bool) -> tuple[list[Connection], list[str]]:
    conns = [await connect(port) for _ in range(n)]
    # Logged in one after another: a getchallenge replaces the user's previous token, so
    # concurrent logins of the same user would race each other.
    sessions = [await loadgen.login(c, port) if log_in else FAKE_SESSION for c in conns]
    return conns, sessions


def _aggregate(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("rps", "p50_ms", "p90_ms", "p99_ms", "client_cpu")
    out: dict[str, Any] = {k: round(median([r[k] for r in rounds]), 4) for k in keys}
    out["errors"] = sum(r["errors"] for r in rounds)
    if errors := [r["first_error"] for r in rounds if "first_error" in r]:
        out["first_error"] = errors[0]
    out["requests"] = sum(r["requests"] for r in rounds)
    out["rounds"] = rounds
    return out


async def measure(
    scenario: str,
    concurrency: int,
    emu_port: int,
    ceil_port: int,
    opts: Options,
    ids: list[int],
    names: list[str],
) -> dict[str, Any]:
    emu_conns, emu_sessions = await _connections(emu_port, concurrency, log_in=True)
    ceil_conns, ceil_sessions = await _connections(ceil_port, concurrency, log_in=False)
    emu_f = [factory(scenario, s, emu_port, w, ids, names) for w, s in enumerate(emu_sessions)]
    ceil_f = [factory(scenario, s, ceil_port, w, ids, names) for w, s in enumerate(ceil_sessions)]
    try:
        # Warm both (first-request costs, SQLAlchemy's statement cache) before anything counts.
        warmup = min(WARMUP_S, opts.duration)
        await loadgen.run_load(ceil_conns, ceil_f, warmup, check=_http_ok)
        await loadgen.run_load(emu_conns, emu_f, warmup)
        ceiling: list[dict[str, Any]] = []
        emulator: list[dict[str, Any]] = []
        for _ in range(opts.rounds):
            ceiling.append(
                (await loadgen.run_load(ceil_conns, ceil_f, opts.duration, check=_http_ok)).summary()
            )
            emulator.append((await loadgen.run_load(emu_conns, emu_f, opts.duration)).summary())
    finally:
        for c in emu_conns + ceil_conns:
            c.close()
    ratios = [e["rps"] / c["rps"] for e, c in zip(emulator, ceiling, strict=True) if c["rps"]]
    share = round(median(ratios), 4)
    real = REAL_VTIGER.get(scenario)
    return {
        "scenario": scenario,
        "concurrency": concurrency,
        "ceiling": _aggregate(ceiling),
        "emulator": _aggregate(emulator),
        "share_of_ceiling": share,
        "target_share": TARGETS.get(scenario),
        "real_vtiger_share": round(real, 5) if real else None,
        "x_real_vtiger": round(share / real, 1) if real else None,
    }


def _http_ok(status: int, body: bytes) -> bool:
    return status == 200


def run(opts: Options) -> dict[str, Any]:
    return loadgen.run_on_new_loop(_run(opts))


async def _run(opts: Options) -> dict[str, Any]:
    scenarios = opts.scenarios or SCENARIOS
    emu_port, ceil_port = free_port(), free_port()
    results = []
    with running(emulator_args(emu_port), emu_port), running(ceiling_args(ceil_port), ceil_port):
        ids, names = await seed(emu_port, opts.accounts, opts.contacts)
        for scenario in scenarios:
            for concurrency in opts.concurrencies:
                results.append(await measure(scenario, concurrency, emu_port, ceil_port, opts, ids, names))
    return {"scenarios": results}


def table(result: dict[str, Any]) -> str:
    rows = []
    for r in result["scenarios"]:
        e, c = r["emulator"], r["ceiling"]
        target = r["target_share"]
        verdict = "" if target is None else (" ✓" if r["share_of_ceiling"] >= target else " ✗")
        rows.append(
            [
                r["scenario"],
                r["concurrency"],
                f"{c['rps']:.0f}",
                f"{e['rps']:.0f}",
                fmt_ms(e["p50_ms"]),
                fmt_ms(e["p90_ms"]),
                fmt_ms(e["p99_ms"]),
                f"{r['share_of_ceiling']:.0%}",
                f"{target:.0%}{verdict}" if target is not None else "–",
                f"{r['x_real_vtiger']:.0f}×" if r["x_real_vtiger"] is not None else "–",
                e["errors"],
            ]
        )
    return md_table(
        [
            "scenario",
            "c",
            "ceiling req/s",
            "vtiger-mock req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "share of ceiling",
            "target",
            "× real Vtiger",
            "errors",
        ],
        rows,
    )
