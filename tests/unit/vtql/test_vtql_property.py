"""Whatever the text, the VTQL front end answers with a WebServiceError or a tree, nothing else."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql import Query, parse, tokenize

PIECES = [
    "select", "SELECT", "from", "where", "and", "or", "in", "like", "order", "by", "orderby", "asc", "desc",
    "limit", "count", "*", "(", ")", ",", ";", "=", "<", ">", "<=", ">=", "!=", "<>", "'x'", "'it''s'", "''",
    "0", "5", "-1", "+3", "11x2", "id", "a", "Accounts", '"', ".", "@", "!",
]  # fmt: skip
statements = st.lists(
    st.tuples(st.sampled_from(PIECES), st.sampled_from([" ", "", "\n", "\t", "  "])), max_size=30
).map(lambda parts: "".join(piece + space for piece, space in parts))
prefixed = statements.map(lambda rest: "select a from Accounts " + rest)


def check(text: str) -> None:
    with contextlib.suppress(WebServiceError):
        assert isinstance(parse(text), Query)
    with contextlib.suppress(WebServiceError):
        tokenize(text)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text(text: str) -> None:
    check(text)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(statements, prefixed))
def test_vtql_shaped_text(text: str) -> None:
    check(text)
