"""Garbage in, a Vtiger envelope out: random text in every parameter of every registered operation,
sent by GET and by POST, logged in or not.  Real Vtiger answers every handled failure with HTTP 200 and
{"success":false,"error":{"message","code"}}; only an unknown/missing operation or a format other than
json is an uncaught exception (HTTP 500, empty body) — spec §1.1, §1.4, §2."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.conftest import ACCESS_KEY, URL, WsClient, ok
from vtiger_mock.app import build_app
from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol.registry import OperationRegistry
from vtiger_mock.settings import Settings

# WebServiceErrorCode.php (spec §2.1): every code a real Vtiger can answer with.
VTIGER_ERROR_CODES = {
    "SESSION_EXPIRED",
    "REFERENCE_INVALID",
    "SESSION_LEFT_IDLE",
    "INVALID_SESSIONID",
    "INVALID_USER_CREDENTIALS",
    "AUTHENTICATION_REQUIRED",
    "AUTHENTICATION_FAILURE",
    "ACCESS_DENIED",
    "DATABASE_QUERY_ERROR",
    "MANDATORY_FIELDS_MISSING",
    "INVALID_ID_ATTRIBUTE",
    "QUERY_SYNTAX_ERROR",
    "INVALID_AUTH_TOKEN",
    "ACCESSKEY_UNDEFINED",
    "RECORD_NOT_FOUND",
    "UNKNOWN_OPERATION",
    "INTERNAL_SERVER_ERROR",
    "OPERATION_NOT_SUPPORTED",
    "UNKOWN_ENTITY",
    "INVALID_POTENTIAL_FOR_CONVERTLEAD",
    "LEAD_ALREADY_CONVERTED",
    "LEAD_RELATEDLIST_UPDATE_FAILED",
    "FAILED_TO_CREATE_RELATION",
    "FAILED_TO_MARK_LEAD_CONVERTED",
    "INVALID_OLD_PASSWORD",
    "NEW_PASSWORD_MISMATCH",
    "CHANGE_PASSWORD_FAILURE",
    "POTENTIAL_ALREADY_CONVERTED",
    "FAILED_TO_MARK_POTENTIAL_CONVERTED",
    "POTENTIAL_RELATEDLIST_UPDATE_FAILED",
    "FAILED_TO_CREATE",
    "CURRENCY_INACTIVE",
    "PASSWORD_NOT_STRONG",
}

REGISTRY = OperationRegistry.from_file(Settings().profile_dir / "operations.json")
OPERATIONS = {name: REGISTRY.get(name) for name in REGISTRY.names()}
# Parameter names worth trying on any operation, besides the operation's own.
COMMON_PARAMS = [
    "id",
    "element",
    "elementType",
    "query",
    "username",
    "accessKey",
    "fieldTypeList",
    "PHPSESSID",
]
FIELD_NAMES = ["accountname", "assigned_user_id", "id", "employees", "annual_revenue", "emailoptout", "birthday",
               "account_id", "lastname", "closingdate", "LineItems", "activitytype", "createdtime"]  # fmt: skip
MODULE_NAMES = ["Accounts", "Contacts", "Leads", "Calendar", "Events", "Products", "Invoice", "Users", "Groups",
                "Currency", "LineItem", "Tax", "accounts", "NoSuchModule"]  # fmt: skip

FRAGMENTS = st.sampled_from(
    ['{', '}', '[', ']', '"', "'", ":", ",", "null", "true", "0", "-1", "1e309", "NaN", "\\u0000", "\\",
     "11x999", "12x2", "19x999", "20x9", "x", "99x1", "Accounts", "select * from Accounts;", "' OR 1=1 --",
     "\x00", "%00", "%", "&", "=", "+", "é", "😀", "\u202e", "\r\n", " ", "<b>", "${x}", "%s"]
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
ELEMENTS = st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES | FRAGMENTS, max_size=6).map(json.dumps)
TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(FRAGMENTS, max_size=8).map("".join),
    JSON_VALUES.map(json.dumps),
    ELEMENTS,
    st.sampled_from(MODULE_NAMES),
    st.sampled_from(["", "0", "null", "NULL", "[]", "{}", "11x999", "12x2"]),
    # Huge values; kept under httpx's 64 KiB limit for a URL query even when percent-encoded.
    st.integers(min_value=2_000, max_value=15_000).map(lambda n: "a" * n),
    st.integers(min_value=300, max_value=1_000).map(lambda n: "é😀" * n),
)


# Values that get past the first checks of the parameters that have them.  Never the id of a seeded
# record: deleting or revising it with a valid request is not garbage.
PARAM_VALUES: dict[str, st.SearchStrategy[str]] = {
    "elementType": st.sampled_from(MODULE_NAMES),
    "element": ELEMENTS,
    "id": st.sampled_from(["11x999", "12x2", "10x2", "9x3", "18x3", "2", "abc", "x5", "11x", "22x999"]),
    "username": st.sampled_from(["admin", "ADMIN", "nosuchuser"]),
    "fieldTypeList": st.sampled_from(['["picklist"]', '["email", "phone"]', "[]", '["grid"]']),
}


def param_value(name: str) -> st.SearchStrategy[str]:
    specific = PARAM_VALUES.get(name)
    return TEXT if specific is None else st.one_of(specific, TEXT)


def operation_spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.upper(), name.lower(), name.capitalize()])


SESSION = "<SESSION>"  # replaced by a live session id when the request is sent


@dataclass
class Sent:
    method: str
    query: dict[str, str]
    body: dict[str, str]

    def with_session(self, session: str) -> Sent:
        def fill(params: dict[str, str]) -> dict[str, str]:
            return {k: session if v == SESSION else v for k, v in params.items()}

        return Sent(self.method, fill(self.query), fill(self.body))

    def effective(self, name: str) -> str | None:
        """$_REQUEST: the body wins over the query string."""
        return self.body.get(name, self.query.get(name))


@st.composite
def requests(draw: st.DrawFn, logged_in: bool) -> Sent:
    method = draw(st.sampled_from(["GET", "POST"]))
    name = draw(st.sampled_from(sorted(OPERATIONS)))
    op = OPERATIONS[name]
    assert op is not None
    # Explicit weights: most requests should get past the dispatcher into a handler.
    operation: str | None = None
    operation_kind = draw(st.sampled_from(["valid"] * 8 + ["text", "missing"]))
    if operation_kind == "valid":
        operation = draw(operation_spellings(name))
    elif operation_kind == "text":
        operation = draw(TEXT)
    names = [p for p, _ in op.params] + draw(st.lists(st.sampled_from(COMMON_PARAMS), max_size=2))
    params: dict[str, str | None] = {
        n: draw(param_value(n)) if draw(st.integers(0, 4)) else None for n in names
    }
    params["operation"] = operation
    params["sessionName"] = SESSION if logged_in else draw(st.one_of(st.none(), TEXT))
    # "0" is left out: real Vtiger reads it as json (see test_auth.test_format_zero_means_json).
    format_kind = draw(st.sampled_from(["absent"] * 6 + ["json", "empty", "text", "text"]))
    params["format"] = {"absent": None, "json": "json", "empty": ""}.get(format_kind)
    if format_kind == "text":
        params["format"] = draw(TEXT.filter(lambda f: f != "0"))
    query: dict[str, str] = {}
    body: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        place = "query" if method == "GET" else draw(st.sampled_from(["query", "body", "body", "both"]))
        if place in ("query", "both"):
            query[key] = value if place == "query" else draw(TEXT)
        if place in ("body", "both"):
            body[key] = value
    assume(len(urlencode(query)) < 60_000)  # httpx refuses longer URLs
    return Sent(method, query, body)


def check(sent: Sent, response: httpx.Response) -> None:
    operation = sent.effective("operation")
    fmt = sent.effective("format")
    known = operation not in (None, "", "0") and REGISTRY.get(operation) is not None
    if not known or fmt not in (None, "", "json"):
        assert response.status_code == 500, (sent, response.text[:300])
        assert response.content == b""
        return
    assert response.status_code == 200, (sent, response.text[:300])
    assert response.headers["content-type"] == "application/json"
    assert response.content.isascii()
    body = response.json()
    assert isinstance(body, dict)
    assert type(body["success"]) is bool
    if body["success"]:
        assert list(body) == ["success", "result"]
        return
    assert list(body) == ["success", "error"], body
    assert list(body["error"]) == ["message", "code"], body
    code, message = body["error"]["code"], body["error"]["message"]
    assert (type(code) is int and code == 0) or (isinstance(code, str) and code in VTIGER_ERROR_CODES), body
    assert isinstance(message, str) and message
    assert "Traceback" not in message


def send(client: TestClient, sent: Sent) -> httpx.Response:
    response: httpx.Response
    if sent.method == "GET":
        response = client.get(URL, params=sent.query)
    else:
        response = client.post(URL, params=sent.query, data=sent.body)
    return response


FUZZ = settings(
    max_examples=75,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def seed_records(ws: WsClient) -> list[str]:
    ws.login()
    account = ws.create("Accounts", {"accountname": "Keep Acme", "assigned_user_id": "19x1", "phone": "1"})
    contact = ws.create(
        "Contacts", {"lastname": "Keep", "account_id": account["id"], "assigned_user_id": "19x1"}
    )
    lead = ws.create("Leads", {"lastname": "Keep", "company": "K", "assigned_user_id": "19x1"})
    return [account["id"], contact["id"], lead["id"], "19x1", "20x2", "21x1"]


def snapshot(ws: WsClient, ids: list[str]) -> dict[str, Any]:
    ws.login()
    return {i: ok(ws.sget(operation="retrieve", id=i)) for i in ids}


def crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Python exceptions a handler raised: the dispatcher turns them into INTERNAL_SERVER_ERROR and logs
    them, so an envelope alone cannot tell a crash from Vtiger's own INTERNAL_SERVER_ERROR."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("vtiger_mock") and r.exc_info]


def test_random_input_anonymous(crm: CRM, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="vtiger_mock")
    with TestClient(build_app(Settings(admin_access_key=ACCESS_KEY), crm=crm)) as client:
        ws = WsClient(client)
        ids = seed_records(ws)
        before = snapshot(ws, ids)

        @FUZZ
        @given(sent=requests(logged_in=False))
        def fuzz(sent: Sent) -> None:
            check(sent, send(client, sent))

        fuzz()
        assert snapshot(ws, ids) == before
    assert crashes(caplog) == []


def test_random_input_logged_in(crm: CRM, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="vtiger_mock")
    with TestClient(build_app(Settings(admin_access_key=ACCESS_KEY), crm=crm)) as client:
        ws = WsClient(client)
        ids = seed_records(ws)
        before = snapshot(ws, ids)

        @FUZZ
        @given(sent=requests(logged_in=True))
        def fuzz(sent: Sent) -> None:
            assert ws.session is not None
            if ws.sget(operation="listtypes").json()["success"] is False:
                ws.login()  # a fuzzed logout ended the session
            sent = sent.with_session(ws.session)
            check(sent, send(client, sent))

        fuzz()
        assert snapshot(ws, ids) == before
    assert crashes(caplog) == []
