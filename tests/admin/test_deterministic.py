"""Deterministic mode (--seed N): the same tokens, session ids and data on every run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from starlette.testclient import TestClient

from tests.admin.conftest import Ws, make_app
from vtiger_mock.crm.synthetic import SyntheticData
from vtiger_mock.settings import Settings


def _run(seed: int | None) -> list[str]:
    with TestClient(make_app(seed=seed)) as client:
        web = Ws(client)
        tokens = [web.challenge()["token"] for _ in range(3)]
        return [*tokens, web.login(), web.login()]


def test_the_same_seed_gives_the_same_tokens_and_sessions() -> None:
    first, second = _run(42), _run(42)
    assert first == second
    assert len(set(first)) == len(first)  # still all different within a run
    assert _run(43) != first
    assert _run(None) != _run(None)


def test_a_reset_starts_the_sequence_again() -> None:
    app_run = _run(5)
    with TestClient(make_app(seed=5)) as client:
        web = Ws(client)
        web.challenge()
        web.login()
        client.post("/_mock/reset")
        assert [web.challenge()["token"] for _ in range(3)] + [web.login(), web.login()] == app_run


def test_the_same_seed_gives_the_same_tokens_in_another_process() -> None:
    script = textwrap.dedent(
        """
        import json
        from starlette.testclient import TestClient
        from vtiger_mock.app import build_app
        from vtiger_mock.settings import Settings
        with TestClient(build_app(Settings(seed=42))) as client:
            answers = [client.get("/webservice.php", params={"operation": "getchallenge", "username": "admin"})
                       for _ in range(3)]
            print(json.dumps([a.json()["result"]["token"] for a in answers]))
        """
    )
    outputs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert json.loads(outputs[0]) == json.loads(outputs[1]) == _run(42)[:3]


def test_synthetic_data_is_a_function_of_its_seed() -> None:
    modules = make_app().state.crm.modules
    counts = {"Accounts": 20, "Contacts": 40, "Potentials": 15, "Quotes": 5, "Products": 5}

    def records(seed: int) -> list[tuple[str, dict[str, object]]]:
        return list(SyntheticData(modules, counts, seed=seed, first_id=2).records())

    assert records(3) == records(3)
    assert records(3) != records(4)
    assert Settings(seed=3).seed == 3
