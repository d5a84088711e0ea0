"""POST /_mock/reset and the named snapshots."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from tests.admin.conftest import Ws, account, failure, make_app, result


def test_reset_goes_back_to_the_fresh_install(client: TestClient, web: Ws) -> None:
    web.login()
    first = result(web.create("Accounts", account("Before reset")))
    assert (first["id"], first["account_no"]) == ("11x2", "ACC1")
    client.put("/_mock/clock", json={"freeze_at": 1_700_000_000})
    client.post("/_mock/faults", json={"operation": "describe", "action": {"error": True}})

    answer = client.post("/_mock/reset").json()
    assert answer["reset"] is True and answer["elapsed_ms"] >= 0

    health = client.get("/_mock/health").json()
    assert health["total_records"] == 0
    assert health["clock"]["frozen"] is False
    assert client.get("/_mock/faults").json()["faults"] == []
    assert client.get("/_mock/requests").json()["requests"] == []
    # Sessions are gone too, and ids and record numbers start again.
    assert failure(web.create("Accounts", account("x")))[0] == "INVALID_SESSIONID"
    web.login()
    again = result(web.create("Accounts", account("After reset")))
    assert (again["id"], again["account_no"]) == ("11x2", "ACC1")


def test_reset_keeps_the_seed_data(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"Accounts": [{"accountname": "Seeded"}]}), encoding="utf-8")
    with TestClient(make_app(seed_data=str(seed))) as client:
        web = Ws(client)
        web.login()
        result(web.create("Accounts", account("Extra")))
        assert client.get("/_mock/health").json()["records"] == {"Accounts": 2}
        client.post("/_mock/reset")
        web.login()
        assert [r["accountname"] for r in web.query("select accountname from Accounts;")] == ["Seeded"]


def test_reset_and_snapshots_with_a_file_database(tmp_path: Path) -> None:
    app = make_app(database_url=f"sqlite:///{tmp_path / 'crm.db'}")
    try:
        with TestClient(app) as client:
            web = Ws(client)
            web.login()
            result(web.create("Accounts", account("Kept")))
            assert client.post("/_mock/snapshots/kept").status_code == 201
            result(web.create("Accounts", account("Dropped")))
            client.post("/_mock/snapshots/kept/restore")
            web.login()
            assert [r["accountname"] for r in web.query("select accountname from Accounts;")] == ["Kept"]
            client.post("/_mock/reset")
            web.login()
            assert web.query("select accountname from Accounts;") == []
    finally:
        app.state.crm.db.engine.dispose()


def test_reset_refuses_a_body_that_is_not_json(client: TestClient) -> None:
    response = client.post("/_mock/reset", content=b"{nope")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_snapshot_restore_list_and_delete(client: TestClient, web: Ws) -> None:
    web.login()
    result(web.create("Accounts", account("In the snapshot")))
    created = client.post("/_mock/snapshots/base")
    assert created.status_code == 201
    assert created.json()["name"] == "base" and created.json()["replaced"] is False
    assert created.json()["size_bytes"] > 0

    result(web.create("Accounts", account("After the snapshot")))
    assert client.post("/_mock/snapshots/base/restore").json() == {"restored": "base"}
    names = [r["accountname"] for r in web.query("select accountname from Accounts;")]
    assert names == ["In the snapshot"]
    # The id sequence came back with the data: the next record reuses the id the dropped one had.
    assert result(web.create("Accounts", account("Next")))["id"] == "11x3"

    assert [s["name"] for s in client.get("/_mock/snapshots").json()["snapshots"]] == ["base"]
    assert client.post("/_mock/snapshots/base").json()["replaced"] is True
    # Snapshots are the test's own saved states: a reset keeps them.
    client.post("/_mock/reset")
    assert [s["name"] for s in client.get("/_mock/snapshots").json()["snapshots"]] == ["base"]
    assert client.delete("/_mock/snapshots/base").json() == {"deleted": "base"}
    assert client.get("/_mock/snapshots").json()["snapshots"] == []


def test_snapshot_errors(client: TestClient) -> None:
    for response in (
        client.post("/_mock/snapshots/missing/restore"),
        client.delete("/_mock/snapshots/missing"),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == {"code": "not_found", "message": "no snapshot named 'missing'"}
    bad = client.post("/_mock/snapshots/-bad%20name")
    assert bad.status_code == 400
    assert "invalid snapshot name" in bad.json()["error"]["message"]
