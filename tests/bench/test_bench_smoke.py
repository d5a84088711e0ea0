"""Every benchmark part runs end to end at tiny sizes and writes well-formed JSON.

No timing is asserted (CI machines vary; the benchmark reports, it does not fail builds): only
that the numbers exist, are numbers, and that no request failed.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import PARTS, main
from bench.load import SCENARIOS


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _run(part: str, tmp_path: Path) -> dict[str, Any]:
    assert main(["--smoke", "--only", part, "--results-dir", str(tmp_path)]) == 0
    data: dict[str, Any] = json.loads((tmp_path / f"{part}.json").read_text(encoding="utf-8"))
    assert data["name"] == part
    assert {"python", "cpus", "uvicorn_http"} <= data["environment"].keys()
    assert all(not math.isinf(n) for n in _numbers(data))
    return data


@pytest.mark.parametrize("part", [p for p in PARTS if p != "reset"])
def test_part_runs_and_writes_json(part: str, tmp_path: Path) -> None:
    data = _run(part, tmp_path)
    if part == "http":
        rows = data["scenarios"]
        assert {r["scenario"] for r in rows} == set(SCENARIOS)
        for r in rows:
            assert r["emulator"]["errors"] == 0, r
            assert r["emulator"]["requests"] > 0 and r["ceiling"]["requests"] > 0
            assert r["share_of_ceiling"] > 0
    elif part == "vtql":
        size = data["sizes"][0]
        assert {"eq_accountname", "count", "page_last", "like_prefix"} <= size["queries"].keys()
        assert {"retrieve", "create", "revise"} <= size["records"].keys()
    elif part == "multiproc":
        for r in data["scenarios"]:
            assert all(r[label]["errors"] == 0 for label in data["deployments"]), r
    elif part in ("startup", "memory"):
        assert len(data["cases"]) == 3


def test_reset_part(tmp_path: Path) -> None:
    if importlib.util.find_spec("bench.reset") is None:
        pytest.skip("bench/reset.py (reset/snapshot benchmark) is not there yet")
    _run("reset", tmp_path)
