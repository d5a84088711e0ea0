"""vtql/shapes.py: a statement run from its shape's template (tree and compiled form, the statement's
own values bound) runs exactly as a full parse of it does, and fails with exactly the same error.

Every statement of the PHP oracle corpus and of the recordings is compiled twice: once by the full
parser, and once through a shape cache first primed with a variant of the statement (other quoted
values, some of them looking like webservice ids, some not), so that the template is reused.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from vtiger_mock.crm.state import CRM
from vtiger_mock.operations.query import compile_vtql
from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql import parse, shapes
from vtiger_mock.vtql.shapes import Parsed, ShapeCache, shape_of

CORPUS = Path(__file__).with_name("php_oracle_corpus.jsonl")
TRANSCRIPT = Path(__file__).parents[3].parent / "shared/reference/real-vtiger-8.2/transcript.jsonl"
QUOTED = re.compile(r"'(?:[^']|'')*'")


def statements() -> list[str]:
    found = [json.loads(line)["query"] for line in CORPUS.read_text().splitlines() if line.strip()]
    if TRANSCRIPT.exists():
        for line in TRANSCRIPT.read_text().splitlines():
            params = json.loads(line)["params"] if line.strip() else {}
            if params.get("operation") == "query" and isinstance(params.get("query"), str):
                found.append(params["query"])
    found += [
        "SELECT * FROM Accounts WHERE accountname = 'Acme';",
        "SELECT * FROM Contacts WHERE account_id = '11x5' AND lastname IN ('a', 'b', 'c');",
        "SELECT * FROM Contacts WHERE account_id = 'abc';",
        "SELECT accountname FROM Accounts WHERE accountname LIKE 'A%' LIMIT '2', '3';",
        "SELECT * FROM Accounts WHERE accountname = 'it''s' OR phone = '';",
    ]
    return found


def outcome(crm: CRM, text: str) -> Any:
    try:
        query = compile_vtql(crm, text, "sql")
    except WebServiceError as error:
        return ("error", type(error).__name__, error.code, error.message)
    compiled = query.compiled
    arguments = compiled.arguments(query.values)
    if compiled.statement is None or arguments is None:
        sql: Any = None
    else:
        done = compiled.statement.compile()
        sql = (str(done), sorted((k, repr(v)) for k, v in done.construct_params(arguments).items()))
    fields = [f.name for f in compiled.fields]
    return (
        query.module.name,
        sql,
        fields,
        compiled.output,
        compiled.count,
        compiled.count_offset,
        compiled.count_limit,
    )


def variants(text: str) -> list[str]:
    out = []
    for replacement in ("'zz'", "'19x1'", "'0'", "'a''b'"):
        out.append(QUOTED.sub(replacement, text))
    return out


def test_templates_compile_every_statement_as_the_full_parse_does(
    crm: CRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = statements()
    with monkeypatch.context() as patch:
        patch.setattr(
            ShapeCache, "parse", lambda self, text, full_parse, check_where: Parsed(full_parse(text))
        )
        expected = [outcome(crm, text) for text in cases]
    lexed: list[str] = []
    monkeypatch.setattr(shapes, "shape_of", lambda text: lexed.append(text) or shape_of(text))
    reused = outlined = 0
    for text, want in zip(cases, expected, strict=True):
        for variant in variants(text):
            crm.modules.memo.pop("vtql_shapes", None)
            with contextlib.suppress(WebServiceError):
                compile_vtql(crm, variant, "sql")  # primes the cache with the variant's shape
            shape, primed = shape_of(text), shape_of(variant)
            reused += shape is not None and primed is not None and shape.key == primed.key
            lexed.clear()
            assert outcome(crm, text) == want, (text, variant)
            outlined += not lexed  # found from the variant's outline, without lexing
    assert reused > 1000  # most statements really went through a template
    assert outlined > 1000  # and most of those without being lexed


def test_a_shape_keeps_everything_but_quoted_values() -> None:
    a = shape_of("SELECT * FROM Accounts WHERE accountname = 'Acme' LIMIT 5;")
    b = shape_of("SELECT * FROM Accounts WHERE accountname = 'Other Co' LIMIT 5;")
    assert a is not None and b is not None and a.key == b.key
    assert a.values == ("'Acme'",) and b.values == ("'Other Co'",)
    for other in (
        "SELECT * FROM Accounts WHERE accountname = 'Acme' LIMIT 6;",  # unquoted values stay in the key
        "SELECT * FROM Accounts WHERE phone = 'Acme' LIMIT 5;",
        "SELECT * FROM Contacts WHERE accountname = 'Acme' LIMIT 5;",
    ):
        shaped = shape_of(other)
        assert shaped is not None and shaped.key != a.key
    assert shape_of("SELECT * FROM Accounts;") is None  # nothing quoted: nothing to share


def test_an_outline_stands_only_for_statements_whose_quoted_pieces_are_all_values() -> None:
    """A quoted ORDER BY name is a column name, not a value: the statement's values are still
    its quoted values only, whether it is lexed or found from an outline seen before."""
    cache = ShapeCache()
    queries = {
        "SELECT * FROM Accounts WHERE accountname = 'a' ORDER BY 'b' LIMIT '1';": ("a", "1"),
        "SELECT * FROM Accounts WHERE accountname = 'c' ORDER BY 'd' LIMIT '2';": ("c", "2"),
        "SELECT * FROM Accounts WHERE accountname = 'e' ORDER BY phone LIMIT '3';": ("e", "3"),
        "SELECT * FROM Accounts WHERE accountname = 'f' ORDER BY phone LIMIT '4';": ("f", "4"),
    }
    for text, values in queries.items():
        parsed = cache.parse(text, parse, lambda _condition: None)
        assert tuple(v.text for v in parsed.values) == values, text
        assert parsed.placeholders  # from the shape's template
