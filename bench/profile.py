"""`python -m bench.profile SCENARIO [--rows N] [--requests K] [--pyinstrument]`: profile one
scenario in process (the Dispatcher, no HTTP) and print where the time goes.

Not part of `make bench`: a tool for finding the cause when a number misses its target.
Scenarios are the HTTP ones (challenge, retrieve, retrieve_new, query100, query_where, query_new,
count, create, revise, describe); cProfile by default, pyinstrument's call tree with --pyinstrument (if installed).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import random
import time
from typing import Any
from urllib.parse import urlencode

from bench.dataset import account_name, load_accounts, new_account_id, new_crm
from bench.vtql import InProcess
from vtiger_mock.protocol.request import WsRequest
from vtiger_mock.settings import Settings


def requests_for(client: InProcess, scenario: str, ids: list[int], n: int) -> list[WsRequest]:
    rng = random.Random(scenario)
    tag = f"{random.randrange(16**8):08x}"
    make: dict[str, Any] = {
        "challenge": lambda i: WsRequest(
            method="GET", query={"operation": "getchallenge", "username": "admin"}, body={}
        ),
        "retrieve": lambda i: client.request("GET", operation="retrieve", id=f"11x{rng.choice(ids)}"),
        "retrieve_new": lambda i: client.request("GET", operation="retrieve", id=new_account_id(ids, i)),
        "query100": lambda i: client.request(
            "GET", operation="query", query="SELECT * FROM Accounts LIMIT 100;"
        ),
        "query_where": lambda i: client.request(
            "GET",
            operation="query",
            query=f"SELECT * FROM Accounts WHERE accountname = '{account_name(rng.randrange(len(ids)))}';",
        ),
        "query_new": lambda i: client.request(
            "GET",
            operation="query",
            query=f"SELECT * FROM Accounts WHERE accountname = '{account_name(rng.randrange(len(ids)))}'"
            f" AND phone != '{tag}-{i}';",
        ),
        "count": lambda i: client.request("GET", operation="query", query="SELECT count(*) FROM Accounts;"),
        "describe": lambda i: client.request("GET", operation="describe", elementType="Accounts"),
        "create": lambda i: client.request(
            "POST",
            operation="create",
            elementType="Accounts",
            element=json.dumps({"accountname": f"Profile {tag} {i}", "assigned_user_id": "19x1"}),
        ),
        "revise": lambda i: client.request(
            "POST",
            operation="revise",
            element=json.dumps({"id": f"11x{rng.choice(ids)}", "phone": f"+1 555 {i:04d}"}),
        ),
    }
    return [make[scenario](i) for i in range(n)]


class AsgiDriver:
    """Calls the whole ASGI app (routing, request parsing, journal, faults, response) without a
    socket: what a request costs in the server minus uvicorn and HTTP parsing."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def handle(self, request: WsRequest) -> None:
        self.loop.run_until_complete(self._call(request))

    async def _call(self, request: WsRequest) -> None:
        body = urlencode(request.body).encode()
        headers = [(b"host", b"127.0.0.1:8000")]
        if request.method == "POST":
            headers += [
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": "/webservice.php",
            "raw_path": b"/webservice.php",
            "query_string": urlencode(request.query).encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent = False
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # never: the app does not wait for a disconnect
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        if not b"".join(chunks).startswith(b'{"success":true'):
            raise RuntimeError(f"failed: {b''.join(chunks)[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("scenario")
    parser.add_argument("--rows", type=int, default=1000, help="Accounts loaded first")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument(
        "--asgi", action="store_true", help="drive the whole ASGI app, not just the Dispatcher"
    )
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    crm = new_crm()
    ids, _ = load_accounts(crm, args.rows)
    client = InProcess(crm)
    runner: Any = client
    if args.asgi:
        from vtiger_mock.app import build_app

        runner = AsgiDriver(build_app(Settings(), crm=crm))
    pending = requests_for(client, args.scenario, ids, args.requests + 20)
    for request in pending[:20]:  # warm caches before profiling
        runner.handle(request)
    pending = pending[20:]
    t0, c0 = time.perf_counter(), time.process_time()
    for request in pending:
        runner.handle(request)
    wall = (time.perf_counter() - t0) / len(pending) * 1000
    cpu = (time.process_time() - c0) / len(pending) * 1000
    # CPU time is the steadier number on a machine shared with other work.
    print(f"{args.scenario}: {cpu:.3f} ms CPU, {wall:.3f} ms wall per request ({args.rows} rows)")
    pending = requests_for(client, args.scenario, ids, args.requests)
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        for request in pending:
            runner.handle(request)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    prof = cProfile.Profile()
    prof.enable()
    for request in pending:
        runner.handle(request)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
