"""The VTQL parser: the tree for every grammar feature, and Vtiger's exact errors and check order."""

from __future__ import annotations

import pytest

from vtiger_mock.protocol import errors
from vtiger_mock.protocol.errors import WebServiceError
from vtiger_mock.vtql import (
    Condition,
    Connector,
    CountStar,
    Direction,
    Limit,
    Operator,
    OrderBy,
    ParserCrash,
    Query,
    Star,
    Value,
    ValueKind,
    Where,
    extract_module,
    parse,
)


def s(text: str) -> Value:
    return Value(ValueKind.STRING, text, "'" + text.replace("'", "''") + "'")


def i(text: str) -> Value:
    return Value(ValueKind.INTEGER, text, text)


def w(text: str) -> Value:
    return Value(ValueKind.WORD, text, text)


def where(field: str, operator: Operator, *values: Value) -> Where:
    return Where((Condition(field, operator, values),), ())


def error_of(text: str, **hooks: object) -> tuple[str | int, str]:
    with pytest.raises(WebServiceError) as caught:
        parse(text, **hooks)  # type: ignore[arg-type]
    return caught.value.code, caught.value.message


def syntax(message: str) -> tuple[str, str]:
    return errors.QUERY_SYNTAX_ERROR, message


# ----------------------------------------------------------------------------------------- the tree


def test_select_star() -> None:
    assert parse("select * from Accounts;") == Query(Star(), "Accounts", None, None, None)


@pytest.mark.parametrize("text", ["select count(*) from Leads;", "SELECT COUNT ( * ) FROM Leads ;"])
def test_count(text: str) -> None:
    assert parse(text) == Query(CountStar(), "Leads", None, None, None)


def test_column_list_gets_id_appended_like_vtiger() -> None:
    assert parse("select accountname, phone from Accounts;").columns == ("accountname", "phone", "id")
    assert parse("select id, accountname from Accounts;").columns == ("id", "accountname")


def test_names_are_kept_as_typed() -> None:
    query = parse("select AccountName from accounts where Phone = 1;")
    assert (query.columns, query.module) == (("AccountName", "id"), "accounts")
    assert query.where is not None and query.where.conditions[0].field == "Phone"


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("=", Operator.EQ), ("!=", Operator.NE), ("<", Operator.LT), (">", Operator.GT), ("<=", Operator.LTE),
     (">=", Operator.GTE), ("like", Operator.LIKE), ("LIKE", Operator.LIKE)],
)  # fmt: skip
def test_comparison_operators(operator: str, expected: Operator) -> None:
    assert parse(f"select * from M where a {operator} 'x';").where == where("a", expected, s("x"))


def test_value_kinds_and_unquoting() -> None:
    query = parse("select * from M where a in ('it''s', 'a b', 10, -5, +7, 11x2, null, 007);")
    assert query.where == where(
        "a", Operator.IN, s("it's"), s("a b"), i("10"), i("-5"), i("+7"), w("11x2"), w("null"), i("007")
    )


@pytest.mark.parametrize(
    "text",
    [
        "select * from M where a in ('x', 'y');",
        "select * from M where a IN 'x', 'y';",
        "select * from M where a in('x','y');",
    ],
)
def test_in_with_and_without_parentheses(text: str) -> None:
    assert parse(text).where == where("a", Operator.IN, s("x"), s("y"))


def test_single_value_in_parentheses() -> None:
    assert parse("select * from M where a = ('A');").where == where("a", Operator.EQ, s("A"))
    assert parse("select * from M where a in ('A');").where == where("a", Operator.IN, s("A"))


def test_conditions_keep_order_and_connectors() -> None:
    query = parse("select * from M where a = 1 or b like 'x%' AND c in (1, 2) Or d != e;")
    assert query.where == Where(
        (
            Condition("a", Operator.EQ, (i("1"),)),
            Condition("b", Operator.LIKE, (s("x%"),)),
            Condition("c", Operator.IN, (i("1"), i("2"))),
            Condition("d", Operator.NE, (w("e"),)),
        ),
        (Connector.OR, Connector.AND, Connector.OR),
    )


def test_order_by() -> None:
    assert parse("select * from M order by a;").order_by == OrderBy(("a",), None)
    assert parse("select * from M order by a, b desc;").order_by == OrderBy(("a", "b"), Direction.DESC)
    assert parse("select * from M ORDER BY a, b, c ASC;").order_by == OrderBy(("a", "b", "c"), Direction.ASC)
    assert parse("select * from M orderby a;").order_by == OrderBy(("a",), None)


def test_limit() -> None:
    assert parse("select * from M limit 5;").limit == Limit(None, i("5"))
    assert parse("select * from M limit 10, 5;").limit == Limit(i("10"), i("5"))
    assert parse("select * from M limit abc;").limit == Limit(None, w("abc"))  # pasted into SQL as is


def test_everything_together_in_any_case() -> None:
    query = parse("SeLeCt a, b FrOm M WhErE a = 1 AnD b LiKe 'x' OrDeR By a DeSc LiMiT 0, 10 ;  ")
    assert query == Query(
        ("a", "b", "id"),
        "M",
        Where(
            (Condition("a", Operator.EQ, (i("1"),)), Condition("b", Operator.LIKE, (s("x"),))),
            (Connector.AND,),
        ),
        OrderBy(("a",), Direction.DESC),
        Limit(i("0"), i("10")),
    )


def test_unclosed_parenthesis_is_accepted_with_the_value_lost() -> None:
    # lemon's corrupt-stack recovery: real Vtiger parses these and emits SQL without the value.
    missing = Value(ValueKind.MISSING, "", "")
    assert parse("select * from M where a = ('x';").where == where("a", Operator.EQ, missing)
    assert parse("select * from M where a in (1, 2;").where == where("a", Operator.IN, i("1"), missing)


# ----------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # The mandatory ";" (the token quoted is the lexer's last piece, even trailing blanks).
        ("select * from Accounts", "token 'Accounts' Unexpected End of Input(0), expected one of: SEMICOLON"),
        ("select * from Accounts ", "token ' ' Unexpected End of Input(0), expected one of: SEMICOLON"),
        (
            "select * from Accounts where a = 'x'",
            "token ''x'' Unexpected End of Input(0), expected one of: SEMICOLON",
        ),
        # Nothing may follow ";" (the expected list is then empty).
        (
            "select * from M limit 1; select * from N;",
            "token 'select' Unexpected VALUE(select), expected one of: ",
        ),
        (
            "select * from M where a = 1; select b from N;",
            "token 'select' Unexpected COLUMNNAME(select), expected one of: ",
        ),
        # Unsupported syntax.
        ("select * from M where a <> 1;", "token '>' Unexpected GT(>), expected one of: VALUE"),
        (
            "select * from M where a is null;",
            "token 'is' Unexpected VALUE(is), expected one of: EQ,LT,GT,LTE,GTE,NE,IN,LIKE",
        ),
        (
            "select * from M where not a = 1;",
            "token 'a' Unexpected VALUE(a), expected one of: EQ,LT,GT,LTE,GTE,NE,IN,LIKE",
        ),
        ("select * from M where (a = 1);", "token '(' Unexpected PARENOPEN((), expected one of: COLUMNNAME"),
        ("select * from M where a in ();", "token ')' Unexpected PARENCLOSE()), expected one of: VALUE"),
        (
            "select * from M where a = 'A', 'B';",
            "token ',' Unexpected COLUMNNAME(,), expected one of: SEMICOLON",
        ),
        (
            "select * from M where a = Acme Corp;",
            "token 'Corp' Unexpected COLUMNNAME(Corp), expected one of: SEMICOLON",
        ),
        (
            "select * from M where a in 'x' and b = 1;",
            "token 'b' Unexpected VALUE(b), expected one of: SEMICOLON",
        ),
        ("select * from M where a = ;", "token ';' Unexpected SEMICOLON(;), expected one of: VALUE"),
        (
            "select * from M where a = 1 and;",
            "token ';' Unexpected SEMICOLON(;), expected one of: COLUMNNAME",
        ),
        ("select * from M order by a desc, b;", "token ',' Unexpected COMMA(,), expected one of: SEMICOLON"),
        (
            "select * from M limit 1 order by a;",
            "token 'by' Unexpected ORDERBY(by), expected one of: SEMICOLON",
        ),
        ("select * from M limit;", "token ';' Unexpected SEMICOLON(;), expected one of: VALUE"),
        ("select count(a) from M;", "token 'a' Unexpected COLUMNNAME(a), expected one of: ASTERISK"),
        ("select from M;", "token 'from' Unexpected FRM(from), expected one of: COLUMNNAME"),
        # After lemon's stack corruption the list is that of whatever state it ends in.
        ("select a Accounts;", "token 'Accounts' Unexpected COLUMNNAME(Accounts), expected one of: SELECT"),
        ("select a, from M;", "token 'from' Unexpected FRM(from), expected one of: SELECT"),
        # Tokens the lexer cannot name.
        ("selec * from M;", "token 'selec' Unexpected Unknown(selec), expected one of: SELECT"),
        ("select *, a from M;", "token ',' Unexpected Unknown(,), expected one of: FRM,COMMA"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    assert error_of(text) == syntax("Syntax Error on line 1: " + message)


def test_line_number_counts_lone_newlines() -> None:
    assert error_of("select\na from M\nwhere a = ;") == syntax(
        "Syntax Error on line 3: token ';' Unexpected SEMICOLON(;), expected one of: VALUE"
    )


def test_module_zero_is_a_syntax_error() -> None:
    assert error_of("select * from 0;") == syntax("There is an syntax error in query")


def test_in_list_starting_with_bare_zero() -> None:
    # PHP's empty("0") stops Vtiger from merging the IN values, so its bookkeeping no longer adds up.
    assert error_of("select * from M where a in (0, 5);") == syntax("columns data inappropriate")
    assert parse("select * from M where a in ('0', 5);").where == where("a", Operator.IN, s("0"), i("5"))
    assert parse("select * from M where a in (5, 0);").where == where("a", Operator.IN, i("5"), i("0"))


@pytest.mark.parametrize(
    "text",
    ['select * from M where a = "x";', "select * from M where a = 1.5;", "select * from M where a = '';"],
)
def test_lexer_errors(text: str) -> None:
    assert error_of(text) == (errors.INTERNAL_SERVER_ERROR, "Unknown Error while processing request")


def test_syntax_error_wins_over_a_later_lexer_error() -> None:
    assert error_of("select * from M where a = 'O\\'Brien';") == syntax(
        "Syntax Error on line 1: token 'Brien' Unexpected COLUMNNAME(Brien), expected one of: SEMICOLON"
    )


def test_lexer_error_before_the_first_token_hangs_real_vtiger() -> None:
    with pytest.raises(ParserCrash) as caught:
        parse('"x" from Accounts;')
    assert (caught.value.code, caught.value.message) == (
        errors.INTERNAL_SERVER_ERROR,
        "Unknown Error while processing request",
    )


# ----------------------------------------------------------------------------------------- check order


class Recorder:
    """Hooks that log their calls and reject the names they are given."""

    def __init__(self, bad_modules: set[str] = frozenset(), bad_fields: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.calls: list[str] = []
        self.bad_modules, self.bad_fields = bad_modules, bad_fields

    def module(self, name: str) -> None:
        self.calls.append(f"module {name}")
        if name in self.bad_modules:
            raise errors.access_denied_for_name(name)

    def column(self, name: str) -> None:
        self.calls.append(f"column {name}")
        if name in self.bad_fields:
            raise errors.select_column_denied(name)

    def where(self, condition: Condition) -> None:
        self.calls.append(f"where {condition.field}")
        if condition.field in self.bad_fields:
            raise errors.where_column_denied(condition.field)

    def hooks(self) -> dict[str, object]:
        return {"check_module": self.module, "check_select_column": self.column, "check_where": self.where}


def test_hooks_run_in_vtigers_order() -> None:
    recorder = Recorder()
    parse("select a, b from M where c = 1 or d = 2 order by x limit 1;", **recorder.hooks())  # type: ignore[arg-type]
    assert recorder.calls == ["module M", "column a", "column b", "column id", "where c", "where d"]


def test_star_and_count_check_no_columns() -> None:
    for text in ("select * from M where c = 1;", "select count(*) from M where c = 1;"):
        recorder = Recorder()
        parse(text, **recorder.hooks())  # type: ignore[arg-type]
        assert recorder.calls == ["module M", "where c"]


def test_module_check_happens_at_the_next_token_even_before_a_syntax_error() -> None:
    recorder = Recorder(bad_modules={"M"})
    assert error_of("select a from M where a = 1 and;", **recorder.hooks()) == (
        errors.ACCESS_DENIED,
        "Permission to perform the operation is denied for name : M",
    )
    # …but not before an unreadable character right after the name.
    assert (
        error_of("select a from M @;", **Recorder(bad_modules={"M"}).hooks())[0]
        == errors.INTERNAL_SERVER_ERROR
    )


def test_a_stray_word_after_the_module_loses_the_module_name() -> None:
    # The corrupt stack hands the module rule a null name: no module check, this message instead.
    recorder = Recorder(bad_modules={"M"})
    assert error_of("select a from M garbage;", **recorder.hooks()) == syntax(
        "There is an syntax error in query"
    )
    assert recorder.calls == []


def test_syntax_errors_win_over_column_checks() -> None:
    recorder = Recorder(bad_fields={"a", "c"})
    assert error_of("select a from M where c = 1 and;", **recorder.hooks())[0] == errors.QUERY_SYNTAX_ERROR
    assert recorder.calls == ["module M"]


def test_select_columns_win_over_bookkeeping_and_where() -> None:
    hooks = Recorder(bad_fields={"a", "c"}).hooks()
    assert error_of("select a from M where c in (0, 1);", **hooks) == (
        errors.ACCESS_DENIED,
        "Permission to access '.a.' attribute denied.",
    )
    assert error_of(
        "select b from M where c in (0, 1);", **Recorder(bad_fields={"a", "c"}).hooks()
    ) == syntax("columns data inappropriate")
    assert error_of("select b from M where b = 1 or c = 2;", **Recorder(bad_fields={"a", "c"}).hooks()) == (
        errors.ACCESS_DENIED,
        "Permission to access c attribute denied.",
    )


# ----------------------------------------------------------------------------------------- module pre-step


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("select * from Accounts;", "Accounts"),
        ("SELECT * FROM accounts;", "accounts"),
        ("select * from\n\tContacts where a = 1;", "Contacts"),
        ("select * from Leads", "Leads"),
        ("select 'from Accounts ' from Contacts;", "Accounts"),  # the first match anywhere
        ("select afrom Foo;", "Foo"),  # no word boundary either
        ("select accountname Accounts;", None),
        ("this is not a query;", None),
        ("select * from ;", None),
        ("", None),
    ],
)
def test_extract_module(text: str, module: str | None) -> None:
    assert extract_module(text) == module
