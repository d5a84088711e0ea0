"""VTQL semantics against an independent reference evaluator, and injection attempts.

Queries are generated from the grammar over generated Accounts; the emulator's answer (through the
real `query` operation) must equal what a plain-Python evaluation of the same query over the same
records gives, in both AND/OR modes.  The evaluator knows only VTQL's documented semantics: MySQL's
case-insensitive string comparison, numeric comparison of number fields, LIKE with % and _, the
100-row cap, record-id order unless ORDER BY says otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from vtiger_mock.app import build_app
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import Settings

KEY = "propertyKey12345"
NAMES = ["Acme", "acme", "ACME Corp", "Beta", "beta_x", "Gamma%", "Delta", "Omega", "O'Neil", "zeta"]
INDUSTRIES = ["Banking", "banking", "Energy", "Chemicals", ""]
RECORDS = 60


@dataclass(frozen=True)
class Account:
    id: int
    accountname: str
    industry: str
    employees: int
    annual_revenue: float
    printed: dict[str, str]  # values as Vtiger prints them (LIKE on numbers matches this text)


@dataclass(frozen=True)
class Cond:
    field: str
    op: str
    values: tuple[Any, ...]

    def vtql(self) -> str:
        def lit(v: Any) -> str:
            return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

        if self.op == "in":
            return f"{self.field} in ({', '.join(lit(v) for v in self.values)})"
        return f"{self.field} {self.op} {lit(self.values[0])}"


def _accounts(seed_rows: list[tuple[int, int, int, int]]) -> list[dict[str, Any]]:
    return [
        {
            "accountname": f"{NAMES[n % len(NAMES)]} {i}",
            "industry": INDUSTRIES[ind % len(INDUSTRIES)],
            "employees": str(emp),
            "annual_revenue": str(rev),
            "assigned_user_id": "19x1",
        }
        for i, (n, ind, emp, rev) in enumerate(seed_rows)
    ]


class World:
    """One emulator per logic mode, loaded once with the same accounts."""

    def __init__(self, logic: str) -> None:
        crm = CRM(Settings().profile_dir, admin_access_key=KEY)
        crm.initialize()
        self.http = TestClient(build_app(Settings(admin_access_key=KEY, vtql_logic=logic), crm=crm))  # type: ignore[arg-type]
        token = self.http.get(
            "/webservice.php", params={"operation": "getchallenge", "username": "admin"}
        ).json()
        access = md5_hex(token["result"]["token"] + KEY)
        login = self.http.post(
            "/webservice.php", data={"operation": "login", "username": "admin", "accessKey": access}
        )
        self.session = login.json()["result"]["sessionName"]
        rng_rows = [((i * 7) % 13, (i * 5) % 7, (i * 37) % 101, (i * 1013) % 50000) for i in range(RECORDS)]
        self.accounts: list[Account] = []
        for element in _accounts(rng_rows):
            created = self.http.post(
                "/webservice.php",
                data={
                    "operation": "create",
                    "sessionName": self.session,
                    "elementType": "Accounts",
                    "element": json.dumps(element),
                },
            ).json()["result"]
            self.accounts.append(
                Account(
                    id=int(created["id"].split("x")[1]),
                    accountname=created["accountname"],
                    industry=created["industry"],
                    employees=int(created["employees"]),
                    annual_revenue=float(created["annual_revenue"]),
                    printed=created,
                )
            )

    def query(self, text: str) -> Any:
        return self.http.get(
            "/webservice.php", params={"operation": "query", "sessionName": self.session, "query": text}
        ).json()


@pytest.fixture(scope="module")
def worlds() -> Iterator[dict[str, World]]:
    yield {"sql": World("sql"), "left-to-right": World("left-to-right")}


# ------------------------------------------------------------------ the reference evaluator

NUMERIC = {"employees", "annual_revenue"}


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE | re.DOTALL) is not None


def _test(cond: Cond, account: Account) -> bool:
    if cond.op == "like":
        return _like(str(cond.values[0]), account.printed[cond.field])
    actual = getattr(account, cond.field)
    if cond.field in NUMERIC:
        values = [float(v) for v in cond.values]
        current = float(actual)
    else:
        values = [str(v).lower() for v in cond.values]  # ASCII case folding, like NOCASE
        current = str(actual).lower()
    if cond.op == "in":
        return current in values
    other = values[0]
    return {
        "=": current == other,
        "!=": current != other,
        "<": current < other,
        ">": current > other,
        "<=": current <= other,
        ">=": current >= other,
    }[cond.op]


def _evaluate(conds: list[Cond], connectors: list[str], logic: str, account: Account) -> bool:
    results = [_test(c, account) for c in conds]
    if logic == "sql":
        groups = [[results[0]]]
        for connector, result in zip(connectors, results[1:], strict=True):
            if connector == "and":
                groups[-1].append(result)
            else:
                groups.append([result])
        return any(all(g) for g in groups)
    value = results[0]
    for connector, result in zip(connectors, results[1:], strict=True):
        value = (value and result) if connector == "and" else (value or result)
    return value


def _sort_key(field: str, account: Account) -> Any:
    value = getattr(account, field)
    return value if field in NUMERIC else str(value).lower()


# ------------------------------------------------------------------ generated queries

# '' (the empty string) cannot be written in VTQL: the real lexer rejects it.
string_values = st.sampled_from([*NAMES, *(i for i in INDUSTRIES if i), "acme 1", "Beta 3"])
like_patterns = st.sampled_from(["acme%", "%1", "%a%", "b_ta%", "%", "O''N%", "zeta _"])
numbers = st.integers(min_value=-5, max_value=110)


@st.composite
def conditions(draw: st.DrawFn) -> Cond:
    field = draw(st.sampled_from(["accountname", "industry", "employees", "annual_revenue"]))
    op = draw(st.sampled_from(["=", "!=", "<", ">", "<=", ">=", "in", "like"]))
    if op == "like":
        return Cond(field, op, (draw(like_patterns).replace("''", "'"),))
    make = numbers if field in NUMERIC else string_values
    count = draw(st.integers(min_value=1, max_value=3)) if op == "in" else 1
    return Cond(field, op, tuple(draw(make) for _ in range(count)))


@st.composite
def queries(draw: st.DrawFn) -> tuple[list[Cond], list[str], str | None, str | None, int | None]:
    conds = draw(st.lists(conditions(), min_size=1, max_size=4))
    connectors = [draw(st.sampled_from(["and", "or"])) for _ in conds[1:]]
    order = draw(st.sampled_from([None, "accountname", "employees", "industry"]))
    direction = draw(st.sampled_from([None, "asc", "desc"])) if order else None
    limit = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=150)))
    return conds, connectors, order, direction, limit


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=queries(), logic=st.sampled_from(["sql", "left-to-right"]))
def test_query_results_equal_the_reference_evaluator(
    worlds: dict[str, World], query: Any, logic: str
) -> None:
    conds, connectors, order, direction, limit = query
    world = worlds[logic]
    where = conds[0].vtql() + "".join(
        f" {c} {cond.vtql()}" for c, cond in zip(connectors, conds[1:], strict=True)
    )
    text = f"select accountname, employees from Accounts where {where}"
    if order:
        text += f" order by {order}" + (f" {direction}" if direction else "")
    if limit is not None:
        text += f" limit {limit}"
    answer = world.query(text + ";")
    assert answer["success"], (text, answer)
    expected = [a for a in world.accounts if _evaluate(conds, connectors, logic, a)]
    expected.sort(key=lambda a: a.id)
    if order:
        # A stable sort: equal values stay in record-id order, also for DESC.
        expected.sort(key=lambda a: _sort_key(order, a), reverse=direction == "desc")
    cap = 100 if limit is None else min(limit, 100)
    assert [r["id"] for r in answer["result"]] == [f"11x{a.id}" for a in expected[:cap]], text


def test_count_matches_the_reference(worlds: dict[str, World]) -> None:
    world = worlds["sql"]
    answer = world.query("select count(*) from Accounts where employees > 50;")
    assert answer["result"] == [{"count": str(sum(a.employees > 50 for a in world.accounts))}]


# ------------------------------------------------------------------ injection attempts

INJECTIONS = [
    "select * from Accounts where accountname = 'x'' or 1=1 --';",
    "select * from Accounts where accountname = 'x'; delete from Accounts;",
    "select * from Accounts where accountname = '1'' union select * from Users --';",
    "select * from Accounts where id = '11x1 or 1=1';",
    "select * from Accounts where id = '11x0) or (1=1';",
    "select accountname from Accounts where accountname like '%'' or ''1''=''1';",
    "select * from Accounts where accountname in ('a'');drop table crmentity;--');",
    "select * from Accounts where accountname = '\u2019 or 1=1 \u0000';",
    "select * from Accounts order by accountname; drop table users;",
    "select * from Accounts where employees = 1/**/or/**/1=1;",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_reads_and_changes_nothing_outside_the_query(worlds: dict[str, World], text: str) -> None:
    world = worlds["sql"]
    answer = world.query(text)
    assert isinstance(answer, dict) and "success" in answer
    if answer["success"]:
        # Whatever comes back is Accounts rows matching literally; nothing matched "1=1".
        assert answer["result"] == [] or all(r["id"].startswith("11x") for r in answer["result"])
        assert len(answer["result"]) < len(world.accounts)
    count = world.query("select count(*) from Accounts;")["result"]
    assert count == [{"count": str(len(world.accounts))}]
    users = world.query("select user_name from Users;")["result"]
    assert [u["user_name"] for u in users] == ["admin"]
