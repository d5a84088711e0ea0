"""listtypes and describe (spec §5), compared with what the real Vtiger 8.2.0 answered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import (
    ACCESS_KEY,
    REFERENCE_DIR,
    WsClient,
    error,
    new_crm,
    ok,
    recorded,
    recorded_exchanges,
    same_json,
)
from vtiger_mock.app import build_app
from vtiger_mock.settings import Settings

DESCRIBE_DIR = REFERENCE_DIR / "describe"
DESCRIBED_TYPES = sorted(p.stem for p in DESCRIBE_DIR.glob("*.json")) if DESCRIBE_DIR.is_dir() else []


@pytest.fixture(scope="module")
def ws() -> Iterator[WsClient]:
    """One logged-in client for the module: listtypes and describe do not depend on records."""
    crm = new_crm()
    with TestClient(build_app(Settings(admin_access_key=ACCESS_KEY), crm=crm)) as client:
        client_ws = WsClient(client)
        client_ws.login()
        yield client_ws


def reference_json(path: str) -> Any:
    file = REFERENCE_DIR / path
    if not file.exists():
        pytest.skip(f"{file} not found")
    return json.loads(file.read_text(encoding="utf-8"))


def first_difference(got: Any, want: Any, path: str = "") -> str | None:
    """Where two JSON values differ, key order included (for readable failures)."""
    if isinstance(want, dict) and isinstance(got, dict):
        if list(got) != list(want):
            return f"{path}: keys {list(got)} != {list(want)}"
        for key in want:
            found = first_difference(got[key], want[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return f"{path}: {len(got)} items != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            found = first_difference(g, w, f"{path}[{i}]")
            if found:
                return found
        return None
    if got != want or type(got) is not type(want):
        return f"{path}: {got!r} != {want!r}"
    return None


# ---------------------------------------------------------------------------------------- listtypes


def test_listtypes_equals_the_reference(ws: WsClient) -> None:
    result = ok(ws.sget(operation="listtypes"))
    assert first_difference(result, reference_json("listtypes.json")) is None


def test_listtypes_order_and_information(ws: WsClient) -> None:
    result = ok(ws.sget(operation="listtypes"))
    types = result["types"]
    assert list(result) == ["types", "information"]
    assert list(result["information"]) == types
    assert len(types) == len(set(types)) == 35
    # Modules first (isEntity true), then the other entities.
    entity_flags = [result["information"][t]["isEntity"] for t in types]
    assert entity_flags == sorted(entity_flags, reverse=True)
    assert types[-7:] == [
        "Groups",
        "Currency",
        "DocumentFolders",
        "CompanyDetails",
        "LineItem",
        "Tax",
        "ProductTaxes",
    ]
    assert result["information"]["Accounts"] == {
        "isEntity": True,
        "label": "Organizations",
        "singular": "Organization",
    }


LISTTYPES_EXCHANGES = [
    e["name"]
    for e in recorded_exchanges()
    if e["params"].get("operation", "").lower() == "listtypes"
    and e["params"].get("sessionName") == "<SESSION>"
    and "format" not in e["params"]
    and e["http_status"] == 200
    and e["response_json"].get("success") is True
    and not e["name"].endswith("_stock")
]


KNOWN_LISTTYPES_BUGS = {
    "listtypes_fieldTypeList_reference": "real 8.2.0 does not list Users for ['reference'] (its reports_to_id, "
    "currency_id and roleid do not count); the emulator lists it",
}


@pytest.mark.skipif(not LISTTYPES_EXCHANGES, reason="reference recordings not found")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_LISTTYPES_BUGS[n], strict=True))
        if n in KNOWN_LISTTYPES_BUGS
        else n
        for n in LISTTYPES_EXCHANGES
    ],
)
def test_listtypes_matches_recording(ws: WsClient, name: str) -> None:
    exchange = recorded(name)
    result = ok(ws.send_recorded(exchange))
    assert first_difference(result, exchange["response_json"]["result"]) is None


def test_listtypes_recordings_cover_the_filters() -> None:
    expected = {
        "listtypes_fieldTypeList_picklist",
        "listtypes_fieldTypeList_reference",
        "listtypes_fieldTypeList_email_phone",
        "listtypes_fieldTypeList_grid",
        "listtypes_fieldTypeList_empty_list",
        "listtypes_fieldTypeList_unknown_type",
        "listtypes_fieldTypeList_not_json",
        "LISTTYPES_uppercase_operation",
    }
    if not LISTTYPES_EXCHANGES:
        pytest.skip("reference recordings not found")
    assert expected <= set(LISTTYPES_EXCHANGES)


@pytest.mark.parametrize("value", ["[]", "picklist", "{not json", '"email"', "42", "null", "[NaN]"])
def test_listtypes_without_a_usable_filter_lists_everything(ws: WsClient, value: str) -> None:
    everything = ok(ws.sget(operation="listtypes"))
    assert same_json(ok(ws.sget(operation="listtypes", fieldTypeList=value)), everything)


@pytest.mark.parametrize("value", ['["nosuchtype"]', '["grid"]', '["EMAILX"]'])
def test_listtypes_unknown_field_type_lists_nothing(ws: WsClient, value: str) -> None:
    response = ws.sget(operation="listtypes", fieldTypeList=value)
    assert response.content == b'{"success":true,"result":{"types":[],"information":[]}}'


def test_listtypes_filter_keeps_order_and_lists_only_modules(ws: WsClient) -> None:
    everything = ok(ws.sget(operation="listtypes"))["types"]
    picklist = ok(ws.sget(operation="listtypes", fieldTypeList='["picklist"]'))
    assert picklist["types"] == [t for t in everything if t in picklist["types"]]
    assert list(picklist["information"]) == picklist["types"]
    assert all(info["isEntity"] for info in picklist["information"].values())
    email = set(ok(ws.sget(operation="listtypes", fieldTypeList='["email"]'))["types"])
    phone = set(ok(ws.sget(operation="listtypes", fieldTypeList='["phone"]'))["types"])
    both = ok(ws.sget(operation="listtypes", fieldTypeList='["email", "phone"]'))["types"]
    assert set(both) == email | phone


def test_listtypes_filter_in_post_body_is_ignored(ws: WsClient) -> None:
    everything = ok(ws.sget(operation="listtypes"))
    assert ws.session is not None
    via_post = ws.spost(operation="listtypes", fieldTypeList='["grid"]')
    assert same_json(ok(via_post), everything)


# ---------------------------------------------------------------------------------------- describe


def test_all_35_types_are_described() -> None:
    if not DESCRIBED_TYPES:
        pytest.skip("reference describe folder not found")
    listed = reference_json("listtypes.json")["types"]
    assert len(DESCRIBED_TYPES) == 35
    assert set(DESCRIBED_TYPES) == set(listed)


@pytest.mark.skipif(not DESCRIBED_TYPES, reason="reference describe folder not found")
@pytest.mark.parametrize("element_type", DESCRIBED_TYPES)
def test_describe_equals_the_reference(ws: WsClient, element_type: str) -> None:
    result = ok(ws.sget(operation="describe", elementType=element_type))
    want = reference_json(f"describe/{element_type}.json")
    assert first_difference(result, want) is None
    assert same_json(result, want)


DESCRIBE_EXCHANGES = [
    e["name"]
    for e in recorded_exchanges()
    if e["params"].get("operation") == "describe"
    and e["method"] == "GET"
    and e["params"].get("sessionName") == "<SESSION>"
]


@pytest.mark.skipif(not DESCRIBE_EXCHANGES, reason="reference recordings not found")
@pytest.mark.parametrize("name", DESCRIBE_EXCHANGES)
def test_describe_matches_recording(ws: WsClient, name: str) -> None:
    exchange = recorded(name)
    response = ws.send_recorded(exchange)
    assert first_difference(response.json(), exchange["response_json"]) is None


def test_describe_after_writes_is_unchanged(ws: WsClient) -> None:
    before = ok(ws.sget(operation="describe", elementType="Accounts"))
    ws.create("Accounts", {"accountname": "X", "assigned_user_id": "19x1"})
    after = ws.sget(operation="describe", elementType="Accounts")
    assert same_json(ok(after), before)
    assert same_json(after.json(), recorded("describe_after_all")["response_json"])


@pytest.mark.parametrize(
    ("element_type", "message"),
    [
        ("NoSuchModule", "Permission to perform the operation is denied for name : NoSuchModule"),
        ("accounts", "Permission to perform the operation is denied for name : accounts"),
        ("ACCOUNTS", "Permission to perform the operation is denied for name : ACCOUNTS"),
        ("Webmails", "Permission to perform the operation is denied for name : Webmails"),
        ("Accounts ", "Permission to perform the operation is denied for name : Accounts "),
        ("0", "Permission to perform the operation is denied for name : "),
        ("", "Permission to perform the operation is denied for name : "),
    ],
)
def test_describe_unknown_types(ws: WsClient, element_type: str, message: str) -> None:
    assert error(ws.sget(operation="describe", elementType=element_type)) == ("ACCESS_DENIED", message)


def test_describe_missing_element_type(ws: WsClient) -> None:
    expected = recorded("describe_missing_elementType")["response_json"]["error"]
    assert error(ws.sget(operation="describe")) == (expected["code"], expected["message"])


def test_describe_needs_a_session(ws: WsClient) -> None:
    assert error(ws.get(operation="describe", elementType="Accounts")) == (
        "AUTHENTICATION_REQUIRED",
        "Authencation required",
    )
