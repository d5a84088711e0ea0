"""What every benchmark part shares: options, statistics, results files, server processes.

Every part is a module with `run(opts: Options) -> dict` (the JSON written to
bench/results/<name>.json) and `table(result: dict) -> str` (markdown for the terminal/README).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"  # every server and every request stays on the loopback interface
ADMIN = "admin"
ACCESS_KEY = "vtigerMockAdmin1"  # the documented default; servers are started without overriding it


@dataclass(frozen=True)
class Options:
    """Knobs shared by all parts; `quick()` and `smoke()` shrink them."""

    duration: float = 1.5  # seconds per timed load window
    rounds: int = 3  # A/B rounds per scenario (medians are reported)
    concurrencies: tuple[int, ...] = (1, 8)
    scenarios: tuple[str, ...] = ()  # empty = all
    accounts: int = 1000  # records loaded before the HTTP scenarios
    contacts: int = 1000
    startup_records: int = 100_000
    startup_repeats: int = 5
    memory_records: int = 100_000
    vtql_sizes: tuple[int, ...] = (10_000, 100_000)
    vtql_iterations: int = 200  # per query and size, also bounded by vtql_budget seconds
    vtql_budget: float = 3.0
    reset_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    multiproc_records: int = 1000
    results_dir: Path = RESULTS_DIR
    # The command that starts the emulator (before "serve …"); empty = the installed vtiger-mock.
    # Lets a branch or a patched build be measured against the same ceiling.
    emulator_cmd: tuple[str, ...] = ()
    quick: bool = False

    @classmethod
    def quick_run(cls, **overrides: Any) -> Options:
        """A couple of minutes: the shape of every number, not its precision."""
        values: dict[str, Any] = dict(
            duration=0.7,
            rounds=1,
            startup_records=20_000,
            startup_repeats=2,
            memory_records=20_000,
            vtql_sizes=(10_000,),
            vtql_iterations=50,
            vtql_budget=1.0,
            reset_sizes=(1_000, 10_000),
            quick=True,
        )
        values.update(overrides)
        return cls(**values)

    @classmethod
    def smoke(cls, results_dir: Path, **overrides: Any) -> Options:
        """Tiny sizes for tests/bench: proves that every part runs and writes well-formed JSON."""
        values: dict[str, Any] = dict(
            duration=0.15,
            rounds=1,
            concurrencies=(1,),
            accounts=20,
            contacts=10,
            startup_records=200,
            startup_repeats=1,
            memory_records=200,
            vtql_sizes=(300,),
            vtql_iterations=3,
            vtql_budget=0.5,
            reset_sizes=(100,),
            multiproc_records=20,
            results_dir=results_dir,
            quick=True,
        )
        values.update(overrides)
        return cls(**values)


# ------------------------------------------------------------------------------------ statistics


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100); NaN when empty."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


def latency_summary(samples_ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50_ms": round(percentile(ordered, 50), 4),
        "p90_ms": round(percentile(ordered, 90), 4),
        "p99_ms": round(percentile(ordered, 99), 4),
        "n": len(ordered),
    }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def timed_loop(fn: Any, iterations: int, budget_s: float) -> list[float]:
    """Call fn() up to `iterations` times or until `budget_s` has passed (at least once); ms each."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(max(1, iterations)):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        if time.perf_counter() > deadline:
            break
    return samples


# ------------------------------------------------------------------------------------ results


def environment() -> dict[str, Any]:
    """What a number depends on besides the code: recorded with every result."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--", "server"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
        )
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", False
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "commit": commit,
        "server_dirty": dirty,
        "uvicorn_loop": "uvloop" if has_module("uvloop") else "asyncio",
        "uvicorn_http": "httptools" if has_module("httptools") else "h11",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # Other processes competing for the 2 cores distort absolute numbers (ratios less so).
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def has_module(name: str) -> bool:
    """Whether uvicorn's "auto" choice will find it (servers inherit this process's environment)."""
    return importlib.util.find_spec(name) is not None


def write_result(opts: Options, name: str, result: dict[str, Any]) -> Path:
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    path = opts.results_dir / f"{name}.json"
    payload = {"name": name, "environment": environment(), "options": _jsonable(asdict(opts)), **result}
    tmp = path.with_suffix(".json.tmp")  # written whole, then renamed: never a half file on Ctrl-C
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_ms(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:  # NaN
        return "–"
    return f"{value:.{digits}f}"


# ------------------------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def cli_command() -> list[str]:
    """The installed `vtiger-mock` console script, as a user runs it."""
    script = Path(sys.executable).with_name("vtiger-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vtiger_mock"]


def rss_mb(pid: int) -> dict[str, float]:
    """Resident set size now and its high-water mark, from /proc (Linux)."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {"rss_mb": out.get("VmRSS", float("nan")), "hwm_mb": out.get("VmHWM", float("nan"))}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (for worker balance and client saturation)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def http_get(port: int, path: str, timeout: float = 1.0) -> tuple[int, bytes]:
    """One blocking HTTP/1.0 GET (start-up polling: no event loop, no client library to import)."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body


def wait_for_challenge(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 60.0) -> float:
    """Poll getchallenge until it succeeds; returns the monotonic time of that success."""
    deadline = time.monotonic() + timeout
    path = f"/webservice.php?operation=getchallenge&username={ADMIN}"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            status, body = http_get(port, path)
            if status == 200 and body.startswith(b'{"success":true'):
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.002)  # 2 ms granularity: small against a start-up of hundreds of ms
    raise TimeoutError(f"no successful getchallenge on port {port} within {timeout} s")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    started_s: float  # process start → first successful getchallenge
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]


def start_server(args: Sequence[str], port: int, env: dict[str, str] | None = None) -> Server:
    """Start a server process and wait until it answers getchallenge."""
    # stderr goes to a file, not a pipe: a server logging tracebacks under load would otherwise
    # block on a full pipe and the benchmark would measure that.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop_server, with the process)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        list(args), cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log
    )
    server = Server(proc, port, float("nan"), log)
    try:
        server.started_s = wait_for_challenge(port, proc) - t0
    except Exception as exc:
        tail = server.stderr_tail()
        stop_server(server)
        raise RuntimeError(f"{' '.join(args)} did not start: {exc}\n{tail}") from exc
    return server


def stop_server(server: Server) -> None:
    """Stop one server we started (uvicorn's workers follow their supervisor's SIGTERM)."""
    proc = server.proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    server.log.close()


@contextlib.contextmanager
def running(args: Sequence[str], port: int, env: dict[str, str] | None = None) -> Iterator[Server]:
    server = start_server(args, port, env)
    try:
        yield server
    finally:
        stop_server(server)


_emulator_cmd: tuple[str, ...] = ()


def use_emulator(cmd: Sequence[str]) -> None:
    """Start the emulator with `cmd` instead of the installed `vtiger-mock` (see --emulator)."""
    global _emulator_cmd
    _emulator_cmd = tuple(cmd)


def emulator_args(port: int, *extra: str) -> list[str]:
    base = list(_emulator_cmd) or cli_command()
    return [*base, "serve", "--host", HOST, "--port", str(port), *extra]


def ceiling_args(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling", "--port", str(port)]
