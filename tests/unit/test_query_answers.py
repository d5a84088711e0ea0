"""Query answers kept per query text (operations/answers.py): a repeated query answers from
memory only while nothing could have changed what it reads."""

from __future__ import annotations

import json
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import ACCESS_KEY, WsClient, new_crm, ok
from vtiger_mock.app import build_app
from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.answers import Answers
from vtiger_mock.settings import Settings

COUNT = "SELECT count(*) FROM Accounts;"
NAMES = "SELECT accountname FROM Accounts ORDER BY accountname;"


def count(ws: WsClient) -> int:
    [row] = ok(ws.sget(operation="query", query=COUNT))
    return int(row["count"])


def names(ws: WsClient) -> list[str]:
    return [row["accountname"] for row in ok(ws.sget(operation="query", query=NAMES))]


def test_a_repeated_query_answers_the_same_bytes(ws: WsClient) -> None:
    ws.login()
    ws.create("Accounts", {"accountname": "Acme", "assigned_user_id": "19x1"})
    first = ws.sget(operation="query", query="SELECT * FROM Accounts;")
    again = ws.sget(operation="query", query="SELECT * FROM Accounts;")
    assert first.content == again.content
    assert ok(again)[0]["accountname"] == "Acme"


def test_every_kind_of_write_is_seen_by_the_next_identical_query(ws: WsClient, crm: CRM) -> None:
    ws.login()
    assert count(ws) == 0 and names(ws) == []
    created = ws.create("Accounts", {"accountname": "Beta", "assigned_user_id": "19x1"})
    assert count(ws) == 1 and names(ws) == ["Beta"]
    ok(ws.spost(operation="revise", element=json.dumps({"id": created["id"], "accountname": "Alpha"})))
    assert names(ws) == ["Alpha"]
    ok(ws.spost(operation="delete", id=created["id"]))
    assert count(ws) == 0 and names(ws) == []
    # A write that does not come through the webservice at all (the admin API, an in-process user).
    with crm.db.transaction("write") as conn:
        crm.load_records(
            conn, {"Accounts": [{"id": "11x900", "accountname": "Gamma", "assigned_user_id": "19x1"}]}
        )
    assert count(ws) == 1 and names(ws) == ["Gamma"]


def test_a_snapshot_restore_is_seen(ws: WsClient) -> None:
    ws.login()  # before the snapshot: the session survives the restore, no write comes between
    assert ws.http.post("/_mock/snapshots/empty").status_code in (200, 201)
    ws.create("Accounts", {"accountname": "Delta", "assigned_user_id": "19x1"})
    assert names(ws) == ["Delta"]
    assert ws.http.post("/_mock/snapshots/empty/restore").status_code == 200
    assert names(ws) == []


def test_writes_by_another_process_on_the_same_file_are_seen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = Settings(admin_access_key=ACCESS_KEY, database_url=url)
    first, second = build_app(settings), build_app(settings, crm=new_crm(url))
    with TestClient(first) as a, TestClient(second) as b:
        reader, writer = WsClient(a), WsClient(b)
        reader.login()
        writer.login()
        assert count(reader) == 0
        writer.create("Accounts", {"accountname": "Epsilon", "assigned_user_id": "19x1"})
        assert count(reader) == 1 and names(reader) == ["Epsilon"]


class _CountingAnswers(Answers):
    """Answers that count how many requests they served from memory."""

    def __init__(self) -> None:
        super().__init__()
        self.served = 0

    def get(self, key: Hashable, stamp: Any) -> bytes | None:
        found = super().get(key, stamp)
        self.served += found is not None
        return found


def test_sessions_and_tokens_are_not_data() -> None:
    """A challenge, a login, a logout and a session touched by the idle timeout (on every request
    once one is set) write only bookkeeping: kept answers stay; a record written still drops them."""
    crm = new_crm()  # its own: the counting answers must not outlive the test
    answers = crm.modules.memo["answers"] = _CountingAnswers()
    settings = Settings(admin_access_key=ACCESS_KEY, session_idle_timeout=1800)
    with TestClient(build_app(settings, crm=crm)) as http:
        ws, other = WsClient(http), WsClient(http)
        ws.login()
        assert names(ws) == []
        for _ in range(2):
            other.challenge()
            other.login()
            assert names(ws) == []
        ok(other.spost(operation="logout"))
        assert names(ws) == []
        assert answers.served == 3  # every query after the first
        ws.create("Accounts", {"accountname": "Zeta", "assigned_user_id": "19x1"})
        assert names(ws) == ["Zeta"]
        assert answers.served == 3


def test_answers_keep_within_their_budget_dropping_the_oldest() -> None:
    answers = Answers(budget=10)
    answers.put(("a", "sql"), 1, b"12345")
    answers.put(("b", "sql"), 1, b"12345")
    assert answers.get(("a", "sql"), 1) == b"12345"  # now the most recently used
    answers.put(("c", "sql"), 1, b"123")
    assert answers.get(("b", "sql"), 1) is None
    assert answers.get(("a", "sql"), 1) == b"12345" and answers.get(("c", "sql"), 1) == b"123"
    assert answers.get(("a", "sql"), 2) is None  # another data stamp: not valid


def test_an_answer_kept_for_one_query_text_never_answers_another(ws: WsClient) -> None:
    ws.login()
    ws.create("Accounts", {"accountname": "Zeta", "assigned_user_id": "19x1"})
    assert names(ws) == ["Zeta"]
    [row] = ok(
        ws.sget(operation="query", query="SELECT accountname FROM Accounts WHERE accountname = 'Zeta';")
    )
    assert row["accountname"] == "Zeta"
    assert (
        ok(ws.sget(operation="query", query="SELECT accountname FROM Accounts WHERE accountname = 'Eta';"))
        == []
    )


def test_like_null_matches_nothing_instead_of_failing(ws: WsClient) -> None:
    """`LIKE null` is legal SQL for MySQL (NULL: no row matches); it used to make the compiler fail."""
    ws.login()
    ws.create("Accounts", {"accountname": "Theta", "assigned_user_id": "19x1"})
    assert ok(ws.sget(operation="query", query="SELECT * FROM Accounts WHERE accountname LIKE null;")) == []
    both = "SELECT accountname FROM Accounts WHERE accountname LIKE null OR accountname = 'Theta';"
    assert [row["accountname"] for row in ok(ws.sget(operation="query", query=both))] == ["Theta"]


def retrieved(ws: WsClient, ws_id: str) -> dict[str, str]:
    found: dict[str, str] = ok(ws.sget(operation="retrieve", id=ws_id))
    return found


def test_a_repeated_retrieve_sees_every_kind_of_write(ws: WsClient, crm: CRM) -> None:
    ws.login()
    parent = ws.create("Accounts", {"accountname": "Parent", "assigned_user_id": "19x1"})
    child = ws.create(
        "Contacts", {"lastname": "Child", "account_id": parent["id"], "assigned_user_id": "19x1"}
    )
    first = ws.sget(operation="retrieve", id=child["id"])
    assert ws.sget(operation="retrieve", id=child["id"]).content == first.content
    assert retrieved(ws, child["id"])["account_id"] == parent["id"]
    ok(ws.spost(operation="revise", element=json.dumps({"id": child["id"], "lastname": "Renamed"})))
    assert retrieved(ws, child["id"])["lastname"] == "Renamed"
    # A write to another record changes how this one prints: the reference is gone.
    ok(ws.spost(operation="delete", id=parent["id"]))
    assert retrieved(ws, child["id"])["account_id"] == ""
    # A write from outside the webservice.
    record_id = int(child["id"].split("x")[1])
    with crm.db.transaction("write") as conn:
        conn.connection.dbapi_connection.execute(
            "UPDATE contactdetails SET lastname = 'Outside' WHERE crmid = ?", [record_id]
        )
    assert retrieved(ws, child["id"])["lastname"] == "Outside"
    ok(ws.spost(operation="delete", id=child["id"]))
    failed = ws.sget(operation="retrieve", id=child["id"]).json()
    assert failed["success"] is False


def test_retrieve_answers_are_kept_per_id_text(ws: WsClient) -> None:
    """ "11x5" and "11x05" name the same record; each answer is kept under what was asked."""
    ws.login()
    created = ws.create("Accounts", {"accountname": "Zeta", "assigned_user_id": "19x1"})
    prefix, number = created["id"].split("x")
    padded = f"{prefix}x0{number}"
    assert retrieved(ws, padded) == retrieved(ws, created["id"])
    ok(ws.spost(operation="revise", element=json.dumps({"id": padded, "accountname": "Eta"})))
    assert retrieved(ws, padded)["accountname"] == retrieved(ws, created["id"])["accountname"] == "Eta"
