"""node-vtiger (npm) runs its own scenario script, test/main.js, against a running server:
login → create → update → query → retrieve → delete → describe → sync, every step a success."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import live_server
from vtiger_mock.app import build_app
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import Settings

KEY = "nodeClientKey123"
CLIENT = "node-vtiger@0.3.4"
# The package's test script requires `step`, which the package does not declare.
EXTRA = "step@1.0.0"
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "npm-clients"
SCENARIO = ["create", "update", "query", "retrieve", "delete", "describe", "sync"]


def _install() -> Path:
    script = CACHE / "node_modules" / "node-vtiger" / "test" / "main.js"
    if script.exists() and (CACHE / "node_modules" / "step").exists():
        return script
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(CACHE),
            CLIENT,
            EXTRA,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 or not script.exists():
        pytest.skip(f"could not install {CLIENT} from npm: {result.stderr[-500:]}")
    return script


@pytest.fixture
def server() -> Iterator[str]:
    crm = CRM(Settings().profile_dir, admin_access_key=KEY)
    crm.initialize()
    with live_server(build_app(Settings(admin_access_key=KEY), crm=crm)) as url:
        yield url


def test_node_vtiger_scenario_succeeds_at_every_step(server: str) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = _install()
    base = server
    run = subprocess.run(
        ["node", str(script), base, "admin", KEY],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=script.parent,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "### END OF TESTS ###" in output, output
    journal = httpx.get(base + "/_mock/requests", params={"limit": 100}).json()
    entries = journal["requests"] if isinstance(journal, dict) else journal
    seen = [e["operation"] for e in entries if e["operation"] in SCENARIO]
    assert sorted(set(seen)) == sorted(SCENARIO), output
    failed = [e for e in entries if e["operation"] != "getchallenge" and e["success"] is not True]
    assert failed == [], failed
