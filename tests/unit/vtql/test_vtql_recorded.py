"""Every `query` exchange recorded from real Vtiger 8.2, replayed through the VTQL front end.

Front-end errors (QUERY_SYNTAX_ERROR, and the lexer's INTERNAL_SERVER_ERROR) must come out with the
recorded code and message.  The rest must not fail in the front end: Query.php's module pre-step must
find the recorded module, and errors needing metadata come out of the hooks, fed here from the
recorded describe answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vtiger_mock.protocol import errors
from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql import Condition, extract_module, parse

RECORDING = Path(__file__).parents[3].parent / "shared/reference/real-vtiger-8.2"
TRANSCRIPT = RECORDING / "transcript.jsonl"
FRONT_END = {errors.QUERY_SYNTAX_ERROR, errors.INTERNAL_SERVER_ERROR}


def exchanges() -> list[Any]:
    if not TRANSCRIPT.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{TRANSCRIPT} is absent"))]
    rows = [json.loads(line) for line in TRANSCRIPT.read_text().splitlines() if line.strip()]
    return [
        pytest.param(row, id=row["name"])
        for row in rows
        if row["params"].get("operation") == "query"
        # Transport-level cases (POST, no session, no query text) never reach the query code.
        and row["method"] == "GET"
        and "sessionName" in row["params"]
        and isinstance(row["params"].get("query"), str)
    ]


def front_end_errors() -> list[Any]:
    return [
        case
        for case in exchanges()
        if case.values[0] is None or case.values[0]["response_json"].get("error", {}).get("code") in FRONT_END
    ]


@pytest.mark.parametrize("row", front_end_errors())
def test_front_end_error_is_exact(row: dict[str, Any]) -> None:
    recorded = row["response_json"]["error"]
    with pytest.raises(WebServiceError) as caught:
        parse(row["params"]["query"])
    assert (caught.value.code, caught.value.message) == (recorded["code"], recorded["message"])


def describe(module: str) -> dict[str, str] | None:
    """Field name → webservice type, from the recorded describe answer."""
    path = RECORDING / "describe" / f"{module}.json"
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    result = result.get("result", result)
    return {f["name"]: f["type"]["name"] for f in result["fields"]}


@pytest.mark.parametrize("row", exchanges())
def test_everything_else_passes_the_front_end(row: dict[str, Any]) -> None:
    text, response = row["params"]["query"], row["response_json"]
    error = response.get("error", {})
    if error.get("code") in FRONT_END:
        return  # covered above
    module = extract_module(text)
    if error.get("message") == "Permission to perform the operation is denied for query":
        assert module is None
        return
    assert module is not None
    if error.get("message", "").startswith("Permission to perform the operation is denied for name : "):
        assert error["message"].endswith(f": {module}")
        return
    fields = describe(module)
    assert fields is not None

    def check_module(name: str) -> None:
        if describe(name) is None:
            raise errors.access_denied_for_name(name)

    def check_select_column(name: str) -> None:
        if name not in fields:
            raise errors.select_column_denied(name)

    def check_where(condition: Condition) -> None:
        if condition.field not in fields:
            raise errors.where_column_denied(condition.field)
        if fields[condition.field] == "reference" and any("x" not in v.raw for v in condition.values):
            raise errors.invalid_id()

    hooks = {
        "check_module": check_module,
        "check_select_column": check_select_column,
        "check_where": check_where,
    }
    if response["success"]:
        parse(text, **hooks)  # type: ignore[arg-type]
    else:
        with pytest.raises(WebServiceError) as caught:
            parse(text, **hooks)  # type: ignore[arg-type]
        assert (caught.value.code, caught.value.message) == (error["code"], error["message"])
