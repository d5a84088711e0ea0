"""`vtiger-mock serve --workers 2`: several processes on one file database share every session."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

KEY = "vtigerMockAdmin1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vtiger_mock", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_workers_share_sessions_and_records(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/webservice.php"
    server = _serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'crm.db'}", "--workers", "2")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
        created = []
        for i in range(8):
            # A new connection per request lets the kernel hand it to either worker.
            token = httpx.get(url, params={"operation": "getchallenge", "username": "admin"}).json()
            key = hashlib.md5((token["result"]["token"] + KEY).encode()).hexdigest()
            login = httpx.post(url, data={"operation": "login", "username": "admin", "accessKey": key}).json()
            session = login["result"]["sessionName"]
            element = json.dumps({"accountname": f"Worker {i}", "assigned_user_id": "19x1"})
            answer = httpx.post(
                url,
                data={
                    "operation": "create",
                    "sessionName": session,
                    "elementType": "Accounts",
                    "element": element,
                },
            ).json()
            assert answer["success"], answer
            created.append(answer["result"]["account_no"])
        # One shared sequence: record numbers are distinct whichever worker created them.
        assert sorted(created, key=lambda n: int(n[3:])) == [f"ACC{i}" for i in range(1, 9)]

        # Writes from both workers at once: getchallenge (a GET that stores a token) and create must
        # wait for each other's write lock, never fail on it.
        def hammer(worker: int) -> list[dict[str, object]]:
            answers = []
            with httpx.Client(timeout=30) as client:
                for i in range(25):
                    answers.append(
                        client.get(url, params={"operation": "getchallenge", "username": "admin"}).json()
                    )
                    element = json.dumps({"accountname": f"Busy {worker}-{i}", "assigned_user_id": "19x1"})
                    data = {
                        "operation": "create",
                        "sessionName": session,
                        "elementType": "Accounts",
                        "element": element,
                    }
                    answers.append(client.post(url, data=data).json())
            return answers

        with ThreadPoolExecutor(4) as pool:
            answers = [a for batch in pool.map(hammer, range(4)) for a in batch]
        assert [a for a in answers if not a.get("success")] == []
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_workers_need_a_file_database() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vtiger_mock", "serve", "--port", str(_free_port()), "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "file database" in result.stderr
