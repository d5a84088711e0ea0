"""Challenge tokens, login, sessions, logout and extendsession through the ASGI app (spec §1.1, §3),
with a clock the tests control."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import (
    ACCESS_KEY,
    SESSION_FORMAT,
    START_EPOCH,
    WsClient,
    error,
    new_crm,
    ok,
    recorded,
    same_json,
)
from vtiger_mock.app import build_app
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import DEFAULT_ADMIN_ACCESS_KEY, Settings

TOKEN_FORMAT = re.compile(r"^[0-9a-f]{13}$")

AUTH_REQUIRED = ("AUTHENTICATION_REQUIRED", "Authencation required")
INVALID_SESSION = ("INVALID_SESSIONID", "Session Identifier provided is Invalid")
INVALID_TOKEN = ("INVALID_AUTH_TOKEN", "Specified token is invalid or expired")
BAD_CREDENTIALS = ("INVALID_USER_CREDENTIALS", "Invalid username or password")


def recorded_error(name: str, file_name: str = "transcript.jsonl") -> tuple[str, str]:
    e = recorded(name, file_name)["response_json"]["error"]
    return e["code"], e["message"]


def login_with(ws: WsClient, token: str, username: str = "admin", key: str = ACCESS_KEY) -> httpx.Response:
    return ws.post(operation="login", username=username, accessKey=md5_hex(token + key))


# ---------------------------------------------------------------------------------------- getchallenge


def test_getchallenge_shape(ws: WsClient) -> None:
    result = ws.challenge()
    real = recorded("getchallenge_valid")["response_json"]["result"]
    assert list(result) == list(real) == ["token", "serverTime", "expireTime"]
    assert TOKEN_FORMAT.match(result["token"]) and TOKEN_FORMAT.match(real["token"])
    assert type(result["serverTime"]) is int and type(result["expireTime"]) is int
    assert result["serverTime"] == START_EPOCH
    assert result["expireTime"] - result["serverTime"] == real["expireTime"] - real["serverTime"] == 300


def test_getchallenge_follows_the_clock(crm: CRM, ws: WsClient) -> None:
    crm.clock.advance(1000)
    assert ws.challenge()["serverTime"] == START_EPOCH + 1000


def test_each_challenge_gives_a_new_token(ws: WsClient) -> None:
    tokens = {ws.challenge()["token"] for _ in range(5)}
    assert len(tokens) == 5


def test_getchallenge_is_one_statement_outside_any_transaction(crm: CRM, ws: WsClient) -> None:
    """The user lookup and the token write are one upsert, committed on its own; an unknown user
    (or a deleted one, or a name differing only in case from no user) writes nothing."""
    statements: list[str] = []
    raw = crm.db.connection().connection.dbapi_connection
    raw.set_trace_callback(statements.append)
    try:
        token = ws.challenge(username="ADMIN")["token"]
        ws.get(operation="getchallenge", username="nobody")
    finally:
        raw.set_trace_callback(None)
    assert not any(s.startswith(("BEGIN", "COMMIT")) for s in statements)
    assert sum(s.startswith("INSERT INTO ws_tokens") for s in statements) == 2
    with crm.db.transaction() as conn:
        rows = conn.connection.dbapi_connection.execute("SELECT userid, token FROM ws_tokens").fetchall()
    assert rows == [(1, token)]


@pytest.mark.parametrize(
    "name",
    ["getchallenge_unknown_user", "getchallenge_missing_username", "getchallenge_empty_username"],
)
def test_getchallenge_errors_match_recordings(ws: WsClient, name: str) -> None:
    exchange = recorded(name)
    assert same_json(ws.send_recorded(exchange).json(), exchange["response_json"])


def test_getchallenge_username_is_case_insensitive(ws: WsClient) -> None:
    assert recorded("getchallenge_username_uppercase")["response_json"]["success"] is True
    token = ws.challenge("ADMIN")["token"]
    result = ok(login_with(ws, token, "Admin"))
    assert result["username"] == recorded("login_username_uppercase")["response_json"]["result"]["username"]
    assert result["userId"] == "19x1"


def test_getchallenge_with_a_bogus_session_is_invalid_session(ws: WsClient) -> None:
    # The session is checked before the operation runs, even for pre-login operations.
    assert error(ws.get(operation="getchallenge", username="admin", sessionName="bogus")) == INVALID_SESSION


# ---------------------------------------------------------------------------------------- login


def test_login_result_matches_the_recording(ws: WsClient) -> None:
    token = ws.challenge()["token"]
    result = ok(login_with(ws, token))
    real = recorded("login_good")["response_json"]["result"]
    assert list(result) == list(real)
    assert SESSION_FORMAT.match(result["sessionName"]) and SESSION_FORMAT.match(real["sessionName"])
    assert {k: v for k, v in result.items() if k != "sessionName"} == {
        k: v for k, v in real.items() if k != "sessionName"
    }
    assert all(isinstance(v, str) for v in result.values())


def test_a_new_challenge_invalidates_the_old_token(ws: WsClient) -> None:
    old = ws.challenge()["token"]
    new = ws.challenge()["token"]
    assert error(login_with(ws, old)) == recorded_error("login_with_superseded_token") == BAD_CREDENTIALS
    assert ok(login_with(ws, new))["userId"] == "19x1"


def test_token_is_reusable_until_it_expires(ws: WsClient) -> None:
    token = ws.challenge()["token"]
    first = ok(login_with(ws, token))["sessionName"]
    second = ok(login_with(ws, token))["sessionName"]
    assert recorded("login_reused_token_second_time")["response_json"]["success"] is True
    assert first != second
    for session in (first, second):
        assert ok(ws.get(operation="listtypes", sessionName=session))["types"]


def test_token_is_valid_through_its_expire_second(crm: CRM, ws: WsClient) -> None:
    challenge = ws.challenge()
    crm.clock.advance(challenge["expireTime"] - challenge["serverTime"])
    assert ok(login_with(ws, challenge["token"]))["userId"] == "19x1"


def test_expired_token(crm: CRM, ws: WsClient) -> None:
    token = ws.challenge()["token"]
    crm.clock.advance(301)
    assert error(login_with(ws, token)) == recorded_error("login_with_expired_token") == INVALID_TOKEN


def test_expired_token_is_replaced_by_a_new_challenge(crm: CRM, ws: WsClient) -> None:
    ws.challenge()
    crm.clock.advance(3600)
    assert ok(login_with(ws, ws.challenge()["token"]))["userId"] == "19x1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("login_wrong_accesskey", BAD_CREDENTIALS),
        ("login_missing_accesskey", BAD_CREDENTIALS),
        ("login_missing_username", INVALID_TOKEN),
        ("login_missing_both", INVALID_TOKEN),
        ("login_unknown_user", INVALID_TOKEN),
        ("login_via_GET", INVALID_TOKEN),
    ],
)
def test_login_failures_match_recordings(ws: WsClient, name: str, expected: tuple[str, str]) -> None:
    exchange = recorded(name)
    assert recorded_error(name) == expected
    token = ws.challenge()["token"]
    params = {
        k: md5_hex(token + ACCESS_KEY) if v == "<MD5(TOKEN+ACCESSKEY)>" else v
        for k, v in exchange["params"].items()
    }
    response = ws.post(**params) if exchange["method"] == "POST" else ws.get(**params)
    assert same_json(response.json(), exchange["response_json"])


def test_login_with_the_raw_access_key_fails(ws: WsClient) -> None:
    ws.challenge()
    assert recorded_error("login_raw_accesskey_not_md5") == BAD_CREDENTIALS
    assert error(ws.post(operation="login", username="admin", accessKey=ACCESS_KEY)) == BAD_CREDENTIALS


def test_login_md5_comparison_is_exact(ws: WsClient) -> None:
    token = ws.challenge()["token"]
    digest = md5_hex(token + ACCESS_KEY)
    assert error(ws.post(operation="login", username="admin", accessKey=digest.upper())) == BAD_CREDENTIALS
    assert error(ws.post(operation="login", username="admin", accessKey=digest + " ")) == BAD_CREDENTIALS


def test_login_without_a_challenge(ws: WsClient) -> None:
    assert error(ws.post(operation="login", username="admin", accessKey="x" * 32)) == INVALID_TOKEN


def test_login_into_a_given_session_keeps_its_id(ws: WsClient) -> None:
    session = ws.login()
    token = ws.challenge()["token"]
    again = ok(
        ws.post(
            operation="login", username="admin", accessKey=md5_hex(token + ACCESS_KEY), sessionName=session
        )
    )
    assert again["sessionName"] == session


# ---------------------------------------------------------------------------------------- sessions


def test_operations_need_a_session(ws: WsClient) -> None:
    assert error(ws.get(operation="listtypes")) == recorded_error("listtypes_no_sessionName") == AUTH_REQUIRED
    assert error(ws.get(operation="listtypes", sessionName="bogus123")) == INVALID_SESSION
    assert recorded_error("listtypes_bogus_sessionName") == INVALID_SESSION


def test_many_sessions_per_user(ws: WsClient) -> None:
    sessions = [ws.login() for _ in range(3)]
    assert len(set(sessions)) == 3
    assert all(SESSION_FORMAT.match(s) for s in sessions)
    for session in sessions:
        assert (
            ok(ws.get(operation="describe", elementType="Accounts", sessionName=session))["name"]
            == "Accounts"
        )


def test_sessions_do_not_expire_by_default(crm: CRM, ws: WsClient) -> None:
    session = ws.login()
    crm.clock.advance(10 * 86400)
    assert ok(ws.get(operation="listtypes", sessionName=session))["types"]


def test_optional_idle_timeout_forgets_the_session(crm: CRM) -> None:
    app = build_app(Settings(admin_access_key=ACCESS_KEY, session_idle_timeout=1440), crm=crm)
    with TestClient(app) as client:
        ws = WsClient(client)
        session = ws.login()
        crm.clock.advance(1000)
        assert ok(ws.get(operation="listtypes", sessionName=session))["types"]  # activity refreshes it
        crm.clock.advance(1440)
        assert ok(ws.get(operation="listtypes", sessionName=session))["types"]
        crm.clock.advance(1441)
        assert error(ws.get(operation="listtypes", sessionName=session)) == INVALID_SESSION


# ---------------------------------------------------------------------------------------- logout


def test_logout(ws: WsClient) -> None:
    session = ws.login()
    other = ws.login()
    response = ws.post(operation="logout", sessionName=session)
    real = recorded("patched_logout", "transcript-php7-semantics.jsonl")["response_json"]
    assert same_json(response.json(), real)
    assert ok(response) == {"message": "successfull"}
    after = ws.get(operation="listtypes", sessionName=session)
    assert error(after) == recorded_error("patched_listtypes_after_logout", "transcript-php7-semantics.jsonl")
    again = ws.post(operation="logout", sessionName=session)
    assert error(again) == recorded_error("patched_logout_again", "transcript-php7-semantics.jsonl")
    assert ok(ws.get(operation="listtypes", sessionName=other))["types"]  # other sessions live on


def test_logout_without_a_session(ws: WsClient) -> None:
    expected = recorded_error("patched_logout_no_session", "transcript-php7-semantics.jsonl")
    assert error(ws.post(operation="logout")) == expected == AUTH_REQUIRED


def test_logout_is_post_only(ws: WsClient) -> None:
    session = ws.login()
    response = ws.get(operation="logout", sessionName=session)
    assert error(response) == ("OPERATION_NOT_SUPPORTED", "Permission to perform the operation is denied")
    assert ok(ws.get(operation="listtypes", sessionName=session))["types"]  # still logged in


def test_logout_session_name_in_query_string(ws: WsClient) -> None:
    session = ws.login()
    assert ok(ws.post({"sessionName": session}, operation="logout")) == {"message": "successfull"}
    assert error(ws.get(operation="listtypes", sessionName=session)) == INVALID_SESSION


# ---------------------------------------------------------------------------------------- extendsession


def test_extendsession_returns_the_same_session(ws: WsClient) -> None:
    session = ws.login()
    result = ok(ws.post(operation="extendsession", sessionName=session))
    real = recorded("extendsession_POST_with_ws_sessionName")["response_json"]["result"]
    assert list(result) == list(real) == ["sessionName", "userId", "version", "vtigerVersion"]
    assert result == {**real, "sessionName": session}


def test_extendsession_needs_operation_in_the_post_body(ws: WsClient) -> None:
    session = ws.login()
    assert error(ws.get(operation="extendsession", sessionName=session)) == recorded_error(
        "extendsession_GET"
    )
    query_only = ws.post({"operation": "extendsession", "sessionName": session})
    assert error(query_only) == AUTH_REQUIRED


def test_extendsession_without_a_logged_in_session(ws: WsClient) -> None:
    expected = recorded_error("extendsession_POST_no_session")
    assert expected == ("AUTHENTICATION_FAILURE", "Authencation Failed")
    assert error(ws.post(operation="extendsession")) == expected
    # An unknown id is adopted (no INVALID_SESSIONID) but holds no login.
    assert error(ws.post(operation="extendsession", sessionName="deadbeef")) == expected


def test_extendsession_after_logout(ws: WsClient) -> None:
    session = ws.login()
    ok(ws.post(operation="logout", sessionName=session))
    assert error(ws.post(operation="extendsession", sessionName=session))[0] == "AUTHENTICATION_FAILURE"


def test_extendsession_prefers_phpsessid(ws: WsClient) -> None:
    session = ws.login()
    result = ok(ws.post(operation="extendsession", PHPSESSID=session, sessionName="other"))
    assert result["sessionName"] == session


# ---------------------------------------------------------------------------------------- uncaught


@pytest.mark.parametrize(
    "params",
    [{}, {"operation": "foobar"}, {"operation": ""}, {"operation": "query "}, {"username": "admin"}],
)
def test_unknown_or_missing_operation_is_http_500(ws: WsClient, params: dict[str, str]) -> None:
    session = ws.login()
    for response in (
        ws.get(**params),
        ws.post(**params),
        ws.get(**params, sessionName=session),
        ws.post(**params, sessionName=session),
    ):
        assert response.status_code == 500
        assert response.content == b""


def test_format_other_than_json_is_http_500(ws: WsClient) -> None:
    exchange = recorded("listtypes_format_xml")
    session = ws.login()
    response = ws.get(operation="listtypes", sessionName=session, format="xml")
    assert response.status_code == exchange["http_status"] == 500
    assert response.content == b""
    assert ok(ws.get(operation="listtypes", sessionName=session, format="json"))["types"]
    # format is read from $_REQUEST: the body counts too.
    assert ws.post(operation="getchallenge", format="xml").status_code == 500


def test_format_xml_content_type(ws: WsClient) -> None:
    session = ws.login()
    response = ws.get(operation="listtypes", sessionName=session, format="xml")
    assert response.headers["content-type"] == recorded("listtypes_format_xml")["content_type"]


def test_format_zero_means_json(ws: WsClient) -> None:
    assert ws.get(operation="getchallenge", username="admin", format="0").status_code == 200


# ---------------------------------------------------------------------------------------- persistence


def test_tokens_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = new_crm(url)
    first.clock.freeze(START_EPOCH)
    with TestClient(build_app(Settings(database_url=url), crm=first)) as client:
        ws = WsClient(client)
        session = ws.login()
        token = ws.challenge()["token"]
        account = ws.create("Accounts", {"accountname": "Persistent", "assigned_user_id": "19x1"})
    first.db.engine.dispose()

    second = new_crm(url)  # a new process on the same database file
    second.clock.freeze(START_EPOCH + 60)
    try:
        with TestClient(build_app(Settings(database_url=url), crm=second)) as client:
            ws = WsClient(client)
            ws.session = session
            assert ok(ws.sget(operation="retrieve", id=account["id"]))["accountname"] == "Persistent"
            assert ok(login_with(ws, token))["userId"] == "19x1"
            # The database was not re-seeded: ids and record numbers go on.
            assert (
                ws.create("Accounts", {"accountname": "Next", "assigned_user_id": "19x1"})["account_no"]
                == "ACC2"
            )
            ok(ws.spost(operation="logout"))
            assert error(ws.sget(operation="listtypes")) == INVALID_SESSION
    finally:
        second.db.engine.dispose()


# ---------------------------------------------------------------------------------------- access key


def test_admin_access_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTIGER_MOCK_ADMIN_ACCESS_KEY", "EnvKey0123456789")
    monkeypatch.delenv("VTIGER_MOCK_DATABASE", raising=False)
    settings = Settings.from_env()
    assert settings.admin_access_key == "EnvKey0123456789"
    with TestClient(build_app(settings)) as client:
        ws = WsClient(client, access_key="EnvKey0123456789")
        assert SESSION_FORMAT.match(ws.login())
        token = ws.challenge()["token"]
        assert error(login_with(ws, token, key=DEFAULT_ADMIN_ACCESS_KEY)) == BAD_CREDENTIALS


def test_default_admin_access_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VTIGER_MOCK_ADMIN_ACCESS_KEY", raising=False)
    monkeypatch.delenv("VTIGER_MOCK_DATABASE", raising=False)
    settings = Settings.from_env()
    assert settings.admin_access_key == DEFAULT_ADMIN_ACCESS_KEY
    assert re.fullmatch(r"[a-zA-Z0-9]{16}", DEFAULT_ADMIN_ACCESS_KEY)
    with TestClient(build_app(settings)) as client:
        assert WsClient(client, access_key=DEFAULT_ADMIN_ACCESS_KEY).login()


def test_empty_access_key_variable_keeps_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTIGER_MOCK_ADMIN_ACCESS_KEY", "")
    assert Settings.from_env().admin_access_key == DEFAULT_ADMIN_ACCESS_KEY
