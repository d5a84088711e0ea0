"""POST /_mock/seed, GET /_mock/dump, --seed-data: fixture records in and out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.admin.conftest import Ws, account, make_app, result


def seed(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/_mock/seed", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_loading_records_fills_in_what_a_create_would(client: TestClient, web: Ws) -> None:
    client.put("/_mock/clock", json={"freeze_at": "2024-03-01T08:00:00Z"})
    answer = seed(
        client,
        {
            "records": {
                "Accounts": [
                    {"accountname": "Given id", "id": "11x500", "account_no": "ACC40"},
                    {"accountname": "No id"},
                ],
                "Contacts": [{"lastname": "Smith", "account_id": "11x500", "emailoptout": True}],
            }
        },
    )
    assert answer == {"loaded": {"Accounts": 2, "Contacts": 1}, "total": 3}
    web.login()
    given = result(web.get(operation="retrieve", sessionName=web.session or "", id="11x500"))
    assert given["account_no"] == "ACC40" and given["assigned_user_id"] == "19x1"
    assert given["createdtime"] == "2024-03-01 08:00:00" and given["employees"] == "0"
    no_id = web.query("select id, account_no from Accounts where accountname = 'No id';")
    assert no_id == [{"id": "11x501", "account_no": "ACC41"}]
    smith = web.query("select account_id, emailoptout, contact_no from Contacts;")
    assert smith == [{"account_id": "11x500", "emailoptout": "1", "contact_no": "CON1", "id": "12x502"}]
    # Later creates continue after the loaded records: no id or number collides.
    created = result(web.create("Accounts", account("Created")))
    assert (created["id"], created["account_no"]) == ("11x503", "ACC42")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "exactly one of"),
        ({"demo": True, "scale": 3}, "exactly one of"),
        ({"records": {"Nope": []}}, "unknown module(s): Nope"),
        (
            {"records": {"Accounts": [{"accountname": "x", "colour": "red"}]}},
            "Accounts[0]: unknown field(s) colour",
        ),
        ({"records": {"Accounts": [{"id": "12x5", "accountname": "x"}]}}, "is not a Accounts id"),
        (
            {
                "records": {
                    "Accounts": [{"id": "11x9", "accountname": "a"}, {"id": "11x9", "accountname": "b"}]
                }
            },
            "also",
        ),
        ({"records": {"Accounts": {"accountname": "x"}}}, "must be a list of record objects"),
        ({"records": {"Accounts": [{"accountname": ["x"]}]}}, "expected a string, number or boolean"),
        ({"scale": 0}, "scale must be at least 1"),
        ({"scale": 2, "modules": ["Users"]}, "no synthetic data for Users"),
        ({"modules": ["Accounts"], "demo": True}, "go with scale"),
    ],
)
def test_bad_seed_input_is_a_400(client: TestClient, body: dict[str, Any], message: str) -> None:
    response = client.post("/_mock/seed", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]


def test_synthetic_records_per_module(client: TestClient, web: Ws) -> None:
    answer = seed(client, {"scale": 7, "modules": ["Accounts", "Contacts", "Potentials"], "seed": 1})
    assert answer == {"loaded": {"Accounts": 7, "Contacts": 7, "Potentials": 7}, "total": 21}
    web.login()
    contacts = web.query("select email, account_id from Contacts;")
    accounts = {r["id"]: r["website"] for r in web.query("select id, website from Accounts;")}
    for contact in contacts:  # coherent: a contact's email is at its organisation's domain
        domain = contact["email"].split("@")[1]
        assert accounts[contact["account_id"]].endswith(domain)


def test_demo_data_through_the_api(client: TestClient) -> None:
    answer = seed(client, {"demo": True})
    assert answer["loaded"]["Accounts"] == 50 and answer["loaded"]["Contacts"] == 150
    assert client.get("/_mock/health").json()["users"] == 5


def test_dump_loads_back_as_seed_data(client: TestClient, web: Ws, tmp_path: Path) -> None:
    seed(client, {"scale": 4, "modules": ["Accounts", "Contacts", "HelpDesk"]})
    client.post("/_mock/users", json={"user_name": "agent", "access_key": "AgentKey00000001"})
    web.login()
    result(web.create("Accounts", account("Made by a client")))
    result(web.post(operation="delete", sessionName=web.session or "", id="11x2"))  # deleted: not dumped
    dump = client.get("/_mock/dump")
    assert dump.headers["content-type"] == "application/json"
    data = dump.json()
    assert [r["id"] for r in data["Users"]] == ["19x1", "19x5"]
    assert data["Users"][0]["accesskey"] == "<ACCESSKEY>"  # the admin's key is configuration
    assert "11x2" not in {r["id"] for r in data["Accounts"]}
    assert len(data["Accounts"]) == 4

    path = tmp_path / "dump.json"
    path.write_text(dump.text, encoding="utf-8")
    with TestClient(make_app(seed_data=str(path), admin_access_key="OtherAdminKey001")) as other:
        assert other.get("/_mock/dump").json() == data
        assert Ws(other, access_key="OtherAdminKey001").login()
        assert Ws(other).login("agent", "AgentKey00000001")
        web2 = Ws(other, access_key="OtherAdminKey001")
        web2.login()
        created = result(web2.create("Accounts", account("Next")))
        assert created["account_no"] == "ACC6" and int(created["id"].split("x")[1]) > 2


def test_dump_of_chosen_modules(client: TestClient) -> None:
    seed(client, {"scale": 2, "modules": ["Accounts", "Contacts"]})
    assert list(client.get("/_mock/dump", params={"modules": "Contacts"}).json()) == ["Contacts"]
    bad = client.get("/_mock/dump", params={"modules": "Contacts,Nope"})
    assert bad.status_code == 400 and "Nope" in bad.json()["error"]["message"]


def test_seed_data_file_errors_stop_the_start(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        make_app(seed_data=str(broken))
    with pytest.raises(ValueError, match="cannot read seed data"):
        make_app(seed_data=str(tmp_path / "missing.json"))


def test_seed_data_is_loaded_only_into_a_new_database_file(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"Accounts": [{"accountname": "Once"}]}), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    for _ in range(2):
        app = make_app(database_url=url, seed_data=str(seed_file))
        try:
            assert app.state.crm.record_counts() == {"Accounts": 1}
        finally:
            app.state.crm.db.engine.dispose()
