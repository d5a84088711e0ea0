"""docker/: what can be checked without a Docker engine (CI has none).

The image itself was built with buildah and run under podman once (see the Docker issue); these
tests keep the files it is built from consistent with the project as it changes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import live_server
from vtiger_mock import cli
from vtiger_mock.app import build_app
from vtiger_mock.settings import DEFAULT_ADMIN_ACCESS_KEY, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def test_the_compose_example_client_reads_the_demo_company() -> None:
    app = build_app(Settings(seed_data="demo"))
    with live_server(app) as base:
        env = {
            **os.environ,
            "VTIGER_URL": f"{base}/webservice.php",
            "VTIGER_USERNAME": "admin",
            "VTIGER_ACCESS_KEY": DEFAULT_ADMIN_ACCESS_KEY,
        }
        done = subprocess.run(
            [sys.executable, str(DOCKER / "example_client.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    count = int(re.search(r"; (\d+) organisations", done.stdout).group(1))  # type: ignore[union-attr]
    assert count == app.state.crm.record_counts()["Accounts"] > 0
    assert len(done.stdout.strip().splitlines()) == 4  # the count line and three organisations


def test_the_build_context_holds_every_file_the_dockerfile_copies() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    ignore = [line for line in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines() if line.strip()]
    sources = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for source in line.split()[1:-1]
    ]
    assert sources, "no COPY found"
    for source in sources:
        assert (ROOT / source).exists(), source
        # Everything is ignored ("**") except what is let back in with "!".
        assert any(rule.startswith(f"!{source}") for rule in ignore), source
    # The package's link to the fixtures resolves inside the context too.
    assert (ROOT / "server/vtiger_mock/fixtures/profiles").is_dir()


def test_the_healthcheck_and_entrypoint_are_real_commands() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    health = json.loads(re.search(r"HEALTHCHECK .* CMD (\[.*\])", dockerfile).group(1))  # type: ignore[union-attr]
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    command = json.loads(re.search(r"^CMD (\[.*\])", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert health[0] == entrypoint[0] == "vtiger-mock" and "vtiger-mock" in scripts
    subcommands = set(cli.build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {health[1], command[0]} <= subcommands
