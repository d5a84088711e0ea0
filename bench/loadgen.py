"""A protocol-level load generator: keep-alive HTTP/1.1, N concurrent workers, fixed duration.

Hand-written on asyncio's Protocol API on purpose: a client library (httpx, aiohttp) spends more
CPU per request than the bare ceiling server does, so the client would become the bottleneck and
every ratio would be flattered.  Each worker owns one connection and keeps one request in flight;
request bytes are built up front where they can be, so the client's cost per request is a write,
a header scan and a latency sample.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from bench.common import ACCESS_KEY, ADMIN, HOST, latency_summary

PATH = "/webservice.php"

# A request factory: called once per request with the worker's index, returns the bytes to send.
RequestFactory = Callable[[], bytes]


def get_request(params: dict[str, str], port: int) -> bytes:
    return f"GET {PATH}?{urlencode(params)} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()


def post_request(form: dict[str, str], port: int) -> bytes:
    body = urlencode(form).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class HttpError(Exception):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self._body_start = -1
        self._length = 0
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only duck-typed like them.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(HttpError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if self._body_start < 0:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self._parse_head(bytes(self._buf[:end]))
            self._body_start = end + 4
        if len(self._buf) - self._body_start >= self._length:
            body = bytes(self._buf[self._body_start : self._body_start + self._length])
            del self._buf[: self._body_start + self._length]
            self._body_start = -1
            waiter, self._waiter = self._waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result((self._status, body))

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        self._status = int(lines[0].split(b" ", 2)[1])
        self._length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                self._length = int(value)
                return
        # uvicorn always sends Content-Length for these fixed responses; chunked is not expected.
        raise HttpError("response without Content-Length")

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.closed or self.transport is None:
            raise HttpError("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self._waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(port: int) -> Connection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(Connection, HOST, port)
    return protocol


# ------------------------------------------------------------------------------------ the protocol


def envelope(body: bytes) -> Any:
    data = json.loads(body)
    if not data.get("success"):
        raise HttpError(f"failure envelope: {body[:300]!r}")
    return data["result"]


async def login(conn: Connection, port: int) -> str:
    """getchallenge + login; returns the session name."""
    _, body = await conn.request(get_request({"operation": "getchallenge", "username": ADMIN}, port))
    token = envelope(body)["token"]
    key = hashlib.md5((token + ACCESS_KEY).encode()).hexdigest()
    _, body = await conn.request(
        post_request({"operation": "login", "username": ADMIN, "accessKey": key}, port)
    )
    return str(envelope(body)["sessionName"])


async def call(conn: Connection, port: int, method: str, params: dict[str, str]) -> Any:
    data = get_request(params, port) if method == "GET" else post_request(params, port)
    status, body = await conn.request(data)
    if status != 200:
        raise HttpError(f"HTTP {status} for {params.get('operation')}")
    return envelope(body)


# ------------------------------------------------------------------------------------ the load


def ok_envelope(status: int, body: bytes) -> bool:
    # The whole answer is not decoded (a query100 answer is ~100 kB of JSON, which would cost
    # the client more than the server spends producing it); the envelope's head says it all.
    return status == 200 and body.startswith(b'{"success":true')


@dataclass
class LoadResult:
    requests: int
    errors: int
    elapsed_s: float
    latencies_ms: list[float]
    client_cpu_s: float
    first_error: str | None = None  # what the first failed answer looked like, for diagnosis

    def summary(self) -> dict[str, Any]:
        rps = self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return {
            "rps": round(rps, 1),
            "requests": self.requests,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            # Share of one core the load generator used: near 1.0 means the client, not the
            # server, may be the limit, and the ceiling would be understated.
            "client_cpu": round(self.client_cpu_s / self.elapsed_s, 3) if self.elapsed_s else 0.0,
            **latency_summary(self.latencies_ms),
            **({"first_error": self.first_error} if self.first_error else {}),
        }


async def run_load(
    connections: list[Connection],
    factories: list[RequestFactory],
    duration_s: float,
    *,
    max_requests: int = 2_000_000,
    check: Callable[[int, bytes], bool] = ok_envelope,
) -> LoadResult:
    """Every worker sends its next request as soon as the previous answer is in, until the window
    closes (or max_requests: the loop is bounded in count as well as in time)."""
    latencies: list[float] = []
    errors = 0
    sent = 0
    first_error: list[str] = []
    clock = time.perf_counter
    cpu0 = time.process_time()
    start = clock()
    deadline = start + duration_s

    async def worker(conn: Connection, factory: RequestFactory) -> None:
        nonlocal errors, sent
        record = latencies.append
        while sent < max_requests:
            t0 = clock()
            if t0 >= deadline:
                return
            sent += 1
            try:
                status, body = await conn.request(factory())
            except HttpError as exc:
                errors += 1
                first_error.append(str(exc))
                return
            record((clock() - t0) * 1000)
            if not check(status, body):
                errors += 1
                if not first_error:
                    first_error.append(f"HTTP {status}: {body[:300]!r}")

    await asyncio.gather(*(worker(c, f) for c, f in zip(connections, factories, strict=True)))
    elapsed = clock() - start
    cpu = time.process_time() - cpu0
    return LoadResult(
        len(latencies), errors, elapsed, latencies, cpu, first_error[0] if first_error else None
    )


def cycle(items: list[bytes]) -> RequestFactory:
    """A factory replaying pre-built requests round-robin (no per-request formatting cost)."""
    it: Iterator[bytes] = iter(())
    pool = items

    def next_request() -> bytes:
        nonlocal it
        try:
            return next(it)
        except StopIteration:
            it = iter(pool)
            return next(it)

    return next_request


T = TypeVar("T")


def run_on_new_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to completion on a fresh event loop (uvloop when installed), then close it."""
    loop = new_event_loop()
    try:
        return loop.run_until_complete(work)
    finally:
        loop.close()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop for the client too when it is installed: the lighter the client, the truer the ceiling."""
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:
        return asyncio.new_event_loop()
