"""The wire protocol: how parameters are read (PHP's $_GET / $_POST / $_REQUEST and
vtws_getParameter) and how envelopes are encoded (PHP's json_encode) — spec §1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ACCESS_KEY, WsClient, error, ok, recorded, same_json
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.protocol import envelope, errors
from vtiger_mock.protocol.dispatch import decode_json, operation_params
from vtiger_mock.protocol.registry import Operation, OperationRegistry
from vtiger_mock.protocol.request import PHP_MAX_INPUT_VARS, WsRequest, _form_pairs
from vtiger_mock.settings import Settings


@pytest.fixture(scope="module")
def registry() -> OperationRegistry:
    return OperationRegistry.from_file(Settings().profile_dir / "operations.json")


def request(
    method: str = "GET", query: dict[str, str] | None = None, body: dict[str, str] | None = None
) -> WsRequest:
    return WsRequest(method=method, query=query or {}, body=body or {})


def op(registry: OperationRegistry, name: str) -> Operation:
    found = registry.get(name)
    assert found is not None
    return found


# ---------------------------------------------------------------------------------------- operation


@pytest.mark.parametrize("spelling", ["getchallenge", "GetChallenge", "GETCHALLENGE", "gEtChAlLeNgE"])
def test_operation_is_case_insensitive(registry: OperationRegistry, spelling: str) -> None:
    req = request(query={"operation": spelling})
    assert req.operation == "getchallenge"
    assert op(registry, "getchallenge") is registry.get(req.operation)


def test_transaction_modes_come_from_the_registry(registry: OperationRegistry, tmp_path: Path) -> None:
    # getchallenge's one statement commits on its own; POST operations write; GET ones read.
    assert op(registry, "getchallenge").transaction == "autocommit"
    assert op(registry, "create").transaction == "write"
    assert op(registry, "login").transaction == "write"
    assert op(registry, "retrieve").transaction == "read"
    spec = {"type": "GET", "handler": "vtiger_mock.operations.auth:getchallenge", "transaction": "sometimes"}
    (tmp_path / "operations.json").write_text(json.dumps({"getchallenge": spec}))
    with pytest.raises(ValueError, match="transaction mode"):
        OperationRegistry.from_file(tmp_path / "operations.json")


def test_operation_from_query_or_body_and_the_body_wins() -> None:
    assert request(query={"operation": "listtypes"}).operation == "listtypes"
    assert request("POST", body={"operation": "describe"}).operation == "describe"
    both = request("POST", query={"operation": "listtypes"}, body={"operation": "describe"})
    assert both.operation == "describe"


def test_missing_operation_is_none() -> None:
    assert request(query={"username": "admin"}).operation is None


# ---------------------------------------------------------------------------------------- sessionName


def test_session_name_from_query_or_body_and_the_body_wins() -> None:
    assert request(query={"sessionName": "abc"}).session_name == "abc"
    assert request("POST", body={"sessionName": "def"}).session_name == "def"
    both = request("POST", query={"sessionName": "abc"}, body={"sessionName": "def"})
    assert both.session_name == "def"


@pytest.mark.parametrize("value", ["", "null", "NULL", "Null", "nUlL"])
def test_empty_or_null_session_name_is_absent(value: str) -> None:
    assert request(query={"sessionName": value}).session_name is None
    assert request("POST", body={"sessionName": value}).session_name is None


@pytest.mark.parametrize("value", ["nullx", " null", "none", "false"])
def test_other_session_names_are_kept(value: str) -> None:
    assert request(query={"sessionName": value}).session_name == value


# ---------------------------------------------------------------------------------------- parameters


def test_get_type_operations_read_only_the_query_string(registry: OperationRegistry) -> None:
    retrieve = op(registry, "retrieve")
    assert retrieve.http_type == "GET"
    assert operation_params(retrieve, request(query={"id": "11x2"})) == {"id": "11x2"}
    assert operation_params(retrieve, request("POST", body={"id": "11x2"})) == {"id": None}
    split = request("POST", query={"id": "11x2"}, body={"id": "11x3"})
    assert operation_params(retrieve, split) == {"id": "11x2"}


def test_post_type_operations_read_only_the_body(registry: OperationRegistry) -> None:
    delete = op(registry, "delete")
    assert delete.http_type == "POST"
    assert operation_params(delete, request("POST", body={"id": "11x2"})) == {"id": "11x2"}
    assert operation_params(delete, request("POST", query={"id": "11x2"})) == {"id": None}
    assert operation_params(delete, request("GET", query={"id": "11x2"})) == {"id": None}


def test_parameters_are_passed_in_registry_order_and_unknown_ones_dropped(
    registry: OperationRegistry,
) -> None:
    login = op(registry, "login")
    params = operation_params(login, request("POST", body={"accessKey": "k", "username": "u", "x": "y"}))
    assert list(params) == ["username", "accessKey"]
    assert params == {"username": "u", "accessKey": "k"}


@pytest.mark.parametrize("falsy", ["", "0"])
def test_php_falsy_values_are_missing(registry: OperationRegistry, falsy: str) -> None:
    assert operation_params(op(registry, "retrieve"), request(query={"id": falsy})) == {"id": None}
    create = op(registry, "create")
    params = operation_params(create, request("POST", body={"elementType": falsy, "element": falsy}))
    assert params == {"elementType": None, "element": None}


@pytest.mark.parametrize("kept", [" ", "00", "0.0", "false", "null", "[]"])
def test_other_values_are_kept_verbatim(registry: OperationRegistry, kept: str) -> None:
    assert operation_params(op(registry, "retrieve"), request(query={"id": kept})) == {"id": kept}


def test_encoded_parameters_are_json_decoded(registry: OperationRegistry) -> None:
    create = op(registry, "create")
    body = {"elementType": "Accounts", "element": '{"accountname": "Acme", "employees": 42}'}
    params = operation_params(create, request("POST", body=body))
    assert params == {"elementType": "Accounts", "element": {"accountname": "Acme", "employees": 42}}
    listtypes = op(registry, "listtypes")
    assert operation_params(listtypes, request(query={"fieldTypeList": "[]"})) == {"fieldTypeList": []}
    # Only encoded parameters are decoded: a JSON-looking id stays a string.
    assert operation_params(op(registry, "retrieve"), request(query={"id": "[1]"})) == {"id": "[1]"}


# ---------------------------------------------------------------------------------------- JSON decoding


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("[1, 2]", [1, 2]),
        ('"x"', "x"),
        ("12", 12),
        ("true", True),
        ("null", None),
        ('{"u": "\\u00e9\\/"}', {"u": "é/"}),
    ],
)
def test_decode_json_valid(text: str, expected: Any) -> None:
    assert decode_json(text) == expected


@pytest.mark.parametrize(
    "text",
    ["{not json", "{'a': 1}", "", "[1,]", '{"a":1} x', "undefined", "picklist", "{", '"unterminated'],
)
def test_decode_json_invalid_is_none(text: str) -> None:
    assert decode_json(text) is None


@pytest.mark.parametrize("text", ["NaN", "[NaN]", "Infinity", '{"a": -Infinity}', "[1, Infinity]"])
def test_decode_json_nan_and_infinity_are_none(text: str) -> None:
    # PHP's json_decode knows no NaN / Infinity literals.
    assert decode_json(text) is None


@pytest.mark.parametrize("depth", [10_000, 200_000])
def test_decode_json_very_deep_nesting_is_none(depth: int) -> None:
    assert decode_json("[" * depth + "]" * depth) is None
    assert decode_json('{"a":' * depth + "1" + "}" * depth) is None


def test_decode_json_within_php_depth_limit() -> None:
    # 512 levels is json_decode's default depth: still decoded.
    value = decode_json("[" * 512 + "]" * 512)
    assert isinstance(value, list)


def test_decode_json_beyond_php_depth_limit_is_none() -> None:
    assert decode_json("[" * 513 + "]" * 513) is None


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


@given(_json_values, st.booleans())
def test_decode_json_reads_as_the_standard_library_does(value: Any, ascii_only: bool) -> None:
    """The fast reader (orjson) gives the values, types and key order of json.loads: integers of
    any size stay whole, floats round alike, any Unicode (escaped or not) reads the same."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    expected = json.loads(text)
    decoded = decode_json(text)
    assert decoded == expected
    assert json.dumps(decoded) == json.dumps(expected)  # same types (1 vs 1.0) and key order


def test_decode_json_keeps_integers_beyond_64_bits_whole() -> None:
    assert decode_json("[-9223372036854775809, 18446744073709551616]") == [
        -9223372036854775809,
        18446744073709551616,
    ]
    assert decode_json('{"a": 1, "a": 2}') == {"a": 2}
    assert decode_json('"\\ud800"') == "\ud800"  # a lone surrogate, as json.loads reads it


# ---------------------------------------------------------------------------------------- encoding


def test_slash_is_escaped() -> None:
    assert envelope.php_json({"url": "http://example.com/a"}) == b'{"url":"http:\\/\\/example.com\\/a"}'


def test_non_ascii_is_escaped_as_u_sequences() -> None:
    encoded = envelope.php_json({"name": "Café Ünïcode 😀"})
    assert encoded == b'{"name":"Caf\\u00e9 \\u00dcn\\u00efcode \\ud83d\\ude00"}'
    assert encoded.isascii()
    assert json.loads(encoded) == {"name": "Café Ünïcode 😀"}


def test_encoding_is_compact_and_keeps_key_order() -> None:
    assert envelope.php_json({"b": 1, "a": [True, None, 1.5]}) == b'{"b":1,"a":[true,null,1.5]}'


def test_success_envelope() -> None:
    response = envelope.success({"status": "successful"})
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.body == b'{"success":true,"result":{"status":"successful"}}'


def test_error_envelope_puts_message_before_code() -> None:
    response = envelope.failure(errors.authentication_required())
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.body == (
        b'{"success":false,"error":{"message":"Authencation required","code":"AUTHENTICATION_REQUIRED"}}'
    )
    real = recorded("listtypes_no_sessionName")["response_json"]
    assert same_json(json.loads(bytes(response.body)), real)


def test_duplicate_error_has_integer_code_zero() -> None:
    response = envelope.failure(errors.duplicate_detected())
    assert response.body == b'{"success":false,"error":{"message":"Duplicate(s) detected!","code":0}}'
    real = recorded("create_Accounts_duplicate_name")["response_json"]
    assert same_json(json.loads(bytes(response.body)), real)
    assert type(real["error"]["code"]) is int


def test_uncaught_is_http_500_with_empty_body() -> None:
    response = envelope.uncaught()
    assert response.status_code == 500
    assert response.body == b""


# ---------------------------------------------------------------------------------------- over HTTP


def test_content_type_is_exactly_application_json(ws: WsClient) -> None:
    success = ws.get(operation="getchallenge", username="admin")
    failure = ws.get(operation="listtypes")
    for response, name in ((success, "getchallenge_valid"), (failure, "listtypes_no_sessionName")):
        assert response.headers["content-type"] == recorded(name)["content_type"] == "application/json"


def test_wire_bytes_escape_slashes_and_non_ascii(ws: WsClient) -> None:
    ws.login()
    created = ws.create("Accounts", {"accountname": "Café/Bar", "assigned_user_id": "19x1"})
    response = ws.sget(operation="retrieve", id=created["id"])
    raw = response.content
    assert raw.isascii()
    assert b'"accountname":"Caf\\u00e9\\/Bar"' in raw
    assert ok(response)["accountname"] == "Café/Bar"


def test_error_key_order_on_the_wire(ws: WsClient) -> None:
    raw = ws.get(operation="listtypes").content
    assert raw.index(b'"message"') < raw.index(b'"code"')
    assert raw.startswith(b'{"success":false,"error":{')


# Exchanges whose answer depends only on how the request was sent (method, where the parameters
# are, sessionName spelling): the real server's response must come back verbatim.
REQUEST_SHAPE_EXCHANGES = [
    "getchallenge_missing_username",
    "getchallenge_empty_username",
    "getchallenge_via_POST_body",
    "login_via_GET",
    "login_missing_both",
    "listtypes_no_sessionName",
    "listtypes_bogus_sessionName",
    "listtypes_sessionName_string_null",
    "listtypes_empty_sessionName",
    "describe_via_POST",
    "describe_missing_elementType",
    "create_via_GET",
    "create_no_session",
    "retrieve_via_POST",
    "retrieve_missing_id",
    "retrieve_no_session",
    "update_via_GET",
    "revise_via_GET",
    "delete_via_GET",
    "delete_missing_id",
    "extendsession_GET",
]


@pytest.mark.parametrize("name", REQUEST_SHAPE_EXCHANGES)
def test_request_shape_matches_recording(ws: WsClient, name: str) -> None:
    exchange = recorded(name)
    ws.login()
    response = ws.send_recorded(exchange)
    assert response.status_code == exchange["http_status"] == 200
    assert same_json(response.json(), exchange["response_json"])


@pytest.mark.parametrize(
    "name",
    ["getchallenge_via_POST_with_querystring", "operation_name_mixed_case_GetChallenge"],
)
def test_getchallenge_request_shapes_that_work(ws: WsClient, name: str) -> None:
    exchange = recorded(name)
    assert exchange["response_json"]["success"] is True
    result = ok(ws.send_recorded(exchange))
    assert list(result) == list(exchange["response_json"]["result"]) == ["token", "serverTime", "expireTime"]


def test_session_name_in_post_body_for_a_get_operation(ws: WsClient) -> None:
    exchange = recorded("listtypes_sessionName_in_POST_body_for_GET_op")
    ws.login()
    assert same_json(ok(ws.send_recorded(exchange)), exchange["response_json"]["result"])


def test_session_name_body_wins_over_query(ws: WsClient) -> None:
    session = ws.login()
    good = ws.post({"sessionName": "bogus123"}, operation="listtypes", sessionName=session)
    assert ok(good)["types"]
    bad = ws.post({"sessionName": session}, operation="listtypes", sessionName="bogus123")
    assert error(bad) == ("INVALID_SESSIONID", "Session Identifier provided is Invalid")


def test_operation_body_wins_over_query(ws: WsClient) -> None:
    session = ws.login()
    assert ok(ws.post({"operation": "foobar"}, operation="listtypes", sessionName=session))["types"]
    response = ws.post({"operation": "listtypes"}, operation="foobar", sessionName=session)
    assert response.status_code == 500
    assert response.content == b""


def test_post_type_parameters_in_query_string_are_ignored(ws: WsClient) -> None:
    ws.login()
    assert ws.session is not None
    created = ws.create("Accounts", {"accountname": "Keep Me", "assigned_user_id": "19x1"})
    # delete with the id only in the URL: PHP's $_POST has no id.
    response = ws.post({"id": created["id"]}, operation="delete", sessionName=ws.session)
    assert error(response) == ("ACCESS_DENIED", "Permission to perform the operation is denied for id")
    assert ok(ws.sget(operation="retrieve", id=created["id"]))["accountname"] == "Keep Me"


def test_raw_json_body_is_not_parsed(ws: WsClient) -> None:
    # PHP fills $_POST only from form encodings: a JSON body carries no parameters.
    body = json.dumps({"operation": "getchallenge", "username": "admin"})
    response = ws.http.post("/webservice.php", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 500
    assert response.content == b""


def test_multipart_body_is_read(ws: WsClient) -> None:
    token = ws.challenge()["token"]
    fields = {"operation": "login", "username": "admin", "accessKey": md5_hex(token + ACCESS_KEY)}
    response = ws.http.post("/webservice.php", files={k: (None, v) for k, v in fields.items()})
    assert ok(response)["userId"] == "19x1"


@pytest.mark.parametrize(
    "name", ["no_operation_GET", "no_operation_POST", "unknown_operation_GET", "unknown_operation_POST"]
)
def test_unknown_or_missing_operation_is_500_with_empty_body(ws: WsClient, name: str) -> None:
    exchange = recorded(name)
    ws.login()
    response = ws.send_recorded(exchange)
    assert response.status_code == exchange["http_status"] == 500
    assert response.content == b""
    assert exchange["response_json"] == ""


def test_operation_zero_is_missing(ws: WsClient) -> None:
    response = ws.get(operation="0", username="admin")
    assert response.status_code == 500
    assert response.content == b""


def test_session_name_zero_is_absent(ws: WsClient) -> None:
    assert error(ws.get(operation="listtypes", sessionName="0"))[0] == "AUTHENTICATION_REQUIRED"


def test_form_bodies_keep_php_max_input_vars(ws: WsClient) -> None:
    """Variables past php.ini's max_input_vars (1000) never reach $_POST: an `operation` sent after
    1,000 other fields is missing, so the request is PHP's unknown-operation failure."""
    filler = "&".join(f"f{i}=x" for i in range(1000))
    late = ws.http.post(
        "/webservice.php",
        content=f"{filler}&operation=getchallenge",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert late.status_code == 500 and late.content == b""
    early = ws.http.post(
        "/webservice.php",
        params={"username": "admin"},
        content=f"operation=getchallenge&{filler}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert early.json()["success"] is True


@given(
    st.lists(
        st.text(alphabet="ab=&%+;[]. 2F\u00e9", max_size=12),
        max_size=8,
    ).map("&".join)
)
def test_form_pairs_decode_as_parse_qsl_does(text: str) -> None:
    """The shortcut for text with nothing to decode gives exactly what the standard library's
    parser gives (last value of a repeated name wins, blank values kept, empty pairs dropped)."""
    expected: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")[
        :PHP_MAX_INPUT_VARS
    ]:
        expected[name] = value
    assert _form_pairs(text) == expected


_escape = st.binary(min_size=1, max_size=3).map(lambda b: "".join(f"%{c:02X}" for c in b))
_raw = st.text(alphabet="aZ09=&+;%._-~\n\r\u00e9\u4e2d", max_size=4)
_lower_escape = st.sampled_from(["%c3%a9", "%e4%B8%ad", "%3d", "%26", "%2b", "%25"])


@given(st.lists(st.one_of(_escape, _raw, _lower_escape), max_size=16).map("".join))
def test_form_pairs_decode_escapes_as_parse_qsl_does(text: str) -> None:
    """Escapes of any bytes (valid UTF-8 or not, either case of hex digits) next to raw text,
    stray "%", "=" inside values, line breaks and non-ASCII: the same pairs as parse_qsl."""
    expected: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        expected[name] = value
    assert _form_pairs(text) == expected


def test_form_pairs_decode_a_json_element() -> None:
    element = '{"id": "11x5", "description": "a=b & c+d 100% \u00e9\u4e2d/\\n"}'
    body = urlencode({"operation": "revise", "element": element})
    assert _form_pairs(body) == {"operation": "revise", "element": element}


def test_form_pairs_keep_max_input_vars_without_escapes() -> None:
    text = "&".join(f"f{i}=x" for i in range(1000)) + "&&operation=late"
    assert "operation" not in _form_pairs(text)
    assert _form_pairs("operation=early&" + text)["operation"] == "early"
