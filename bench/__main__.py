"""`make bench` / `python -m bench`: run the benchmark parts, write bench/results/<part>.json,
print a markdown table per part.  It reports; it never fails on a slow number.

    python -m bench                      # everything at default sizes (~8 min on 2 cores)
    python -m bench --quick              # short windows, small sizes (~2 min)
    python -m bench --only http,vtql     # a selection of parts
    python -m bench --only vtql --vtql-1m   # adds the 1,000,000-row VTQL run (~4 min more)
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.common import Options, use_emulator, write_result

# part name → module; each module has run(opts) -> dict and table(result) -> str.
PARTS: dict[str, str] = {
    "http": "bench.load",
    "startup": "bench.startup",
    "reset": "bench.reset",  # owned by the admin-API work; see _reset_hook()
    "memory": "bench.memory",
    "vtql": "bench.vtql",
    "multiproc": "bench.multiproc",
}


def _reset_hook() -> ModuleType | None:
    """bench/reset.py (the reset/snapshot benchmark) is written alongside /_mock/reset.

    TODO(admin API): expected interface, like every part here:
        run(opts: bench.common.Options) -> dict      # sizes from opts.reset_sizes
        table(result: dict) -> str
    Until it exists the part is reported as skipped, not as a failure.
    """
    try:
        return importlib.import_module(PARTS["reset"])
    except ModuleNotFoundError as exc:
        if exc.name != PARTS["reset"]:
            raise
        return None


def run_part(name: str, opts: Options) -> tuple[dict[str, Any] | None, str]:
    module = _reset_hook() if name == "reset" else importlib.import_module(PARTS[name])
    if module is None:
        return None, f"_skipped: {PARTS[name]} is not there yet (reset/snapshot benchmark, TODO hook)_"
    result: dict[str, Any] = module.run(opts)
    write_result(opts, name, result)
    text = str(module.table(result))
    # The table next to the JSON: what the README's Performance section is copied from.
    (opts.results_dir / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    return result, text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="short windows, small sizes")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: proves the parts run (tests)")
    p.add_argument("--only", default="", help=f"comma-separated parts: {', '.join(PARTS)}")
    p.add_argument("--skip", default="", help="comma-separated parts to leave out")
    p.add_argument("--duration", type=float, help="seconds per timed load window")
    p.add_argument("--rounds", type=int, help="A/B rounds per HTTP scenario")
    p.add_argument("--scenarios", default="", help="comma-separated HTTP scenarios (default all)")
    p.add_argument("--concurrency", default="", help="comma-separated, e.g. 1,8")
    p.add_argument("--vtql-sizes", default="", help="comma-separated row counts, e.g. 10000,100000")
    p.add_argument("--vtql-1m", action="store_true", help="add the 1,000,000-row VTQL run (~4 min)")
    p.add_argument("--results-dir", type=Path, help="where <part>.json goes (default bench/results)")
    p.add_argument(
        "--emulator",
        default="",
        help="command starting the emulator instead of the installed vtiger-mock, e.g. "
        "'.venv/bin/python -m vtiger_mock' from another checkout ('serve …' is appended)",
    )
    return p


def options_from(args: argparse.Namespace) -> Options:
    if args.smoke:
        # Smoke runs never overwrite the real results: a throw-away folder unless one is given.
        opts = Options.smoke(args.results_dir or Path(tempfile.mkdtemp(prefix="vtiger-mock-bench-smoke-")))
    else:
        opts = Options.quick_run() if args.quick else Options()
    changes: dict[str, Any] = {}
    if args.duration is not None:
        changes["duration"] = args.duration
    if args.rounds is not None:
        changes["rounds"] = args.rounds
    if args.scenarios:
        changes["scenarios"] = tuple(_csv(args.scenarios))
    if args.concurrency:
        changes["concurrencies"] = tuple(int(c) for c in _csv(args.concurrency))
    sizes = tuple(int(s) for s in _csv(args.vtql_sizes)) if args.vtql_sizes else opts.vtql_sizes
    if args.vtql_1m and 1_000_000 not in sizes:
        sizes = (*sizes, 1_000_000)
    changes["vtql_sizes"] = sizes
    if args.results_dir is not None:
        changes["results_dir"] = args.results_dir
    if args.emulator:
        changes["emulator_cmd"] = tuple(shlex.split(args.emulator))
    return replace(opts, **changes)


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts = options_from(args)
    use_emulator(opts.emulator_cmd)
    selected = _csv(args.only) or list(PARTS)
    unknown = [p for p in selected + _csv(args.skip) if p not in PARTS]
    if unknown:
        print(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    failed = []
    for name in (p for p in selected if p not in _csv(args.skip)):
        print(f"\n## {name}\n", flush=True)
        t0 = time.monotonic()
        try:
            _, text = run_part(name, opts)
        except Exception:
            # One broken part must not hide the others' numbers; the run still says so at the end.
            traceback.print_exc()
            failed.append(name)
            continue
        print(text)
        print(f"\n_{name}: {time.monotonic() - t0:.0f} s_", flush=True)
    if failed:
        print(f"\nparts that did not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
