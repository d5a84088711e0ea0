"""The VTQL lexer names pieces by context, exactly as Vtiger's VTQL_Lexer.php does."""

from __future__ import annotations

import pytest

from vtiger_mock.protocol.errors import INTERNAL_SERVER_ERROR, WebServiceError
from vtiger_mock.vtql.lexer import Lexer, Token, TokenType, tokenize

T = TokenType


def types(text: str) -> list[str]:
    return [token.type.name if token.type else "Unknown" for token in tokenize(text)]


def test_full_statement() -> None:
    text = "select a, b from Accounts where a = 'x' and b in (1, 2) order by a, b desc limit 5, 10;"
    assert tokenize(text) == [
        Token(T.SELECT, "select"),
        Token(T.COLUMNNAME, "a"),
        Token(T.COMMA, ","),
        Token(T.COLUMNNAME, "b"),
        Token(T.FRM, "from"),
        Token(T.TABLENAME, "Accounts"),
        Token(T.WHERE, "where"),
        Token(T.COLUMNNAME, "a"),
        Token(T.EQ, "="),
        Token(T.VALUE, "'x'"),
        Token(T.LOGICAL_AND, "and"),
        Token(T.COLUMNNAME, "b"),
        Token(T.IN, "in"),
        Token(T.PARENOPEN, "("),
        Token(T.VALUE, "1"),
        Token(T.COMMA, ","),
        Token(T.VALUE, "2"),
        Token(T.PARENCLOSE, ")"),
        # "order" is dropped; "by" is the ORDERBY token.
        Token(T.ORDERBY, "by"),
        Token(T.COLUMNNAME, "a"),
        Token(T.COMMA, ","),
        Token(T.COLUMNNAME, "b"),
        Token(T.DESC, "desc"),
        Token(T.LIMIT, "limit"),
        Token(T.VALUE, "5"),
        Token(T.COMMA, ","),
        Token(T.VALUE, "10"),
        Token(T.SEMICOLON, ";"),
    ]


def test_keywords_any_case() -> None:
    assert types("SeLeCt CoUnT(*) FrOm Leads WhErE x LiKe 'a' Or y In 'b' OrDeR bY z AsC LiMiT 1;") == [
        "SELECT", "COUNT", "PARENOPEN", "ASTERISK", "PARENCLOSE", "FRM", "TABLENAME", "WHERE",
        "COLUMNNAME", "LIKE", "VALUE", "LOGICAL_OR", "COLUMNNAME", "IN", "VALUE",
        "ORDERBY", "COLUMNNAME", "ASC", "LIMIT", "VALUE", "SEMICOLON",
    ]  # fmt: skip


def test_same_word_changes_type_with_context() -> None:
    tokens = tokenize("select Accounts from Accounts where Accounts = Accounts;")
    assert [t.type for t in tokens if t.text == "Accounts"] == [
        T.COLUMNNAME,
        T.TABLENAME,
        T.COLUMNNAME,
        T.VALUE,
    ]


def test_after_a_value_the_next_word_is_a_column() -> None:
    assert types("select a from M where a = Acme Corp;")[-3:] == ["VALUE", "COLUMNNAME", "SEMICOLON"]


def test_in_without_parentheses_keeps_reading_values() -> None:
    # Only ")" ends an IN list, so "b" after "and" is still a value.
    assert types("select a from M where a in 'x', 'y' and b = 1;")[6:] == [
        "IN", "VALUE", "COMMA", "VALUE", "LOGICAL_AND", "VALUE", "EQ", "VALUE", "SEMICOLON",
    ]  # fmt: skip


def test_operators() -> None:
    assert types("select a from M where a <= 1 or a >= 2 or a != 3 or a < 4 or a > 5 or a = 6;")[6::4] == [
        "LTE", "GTE", "NE", "LT", "GT", "EQ",
    ]  # fmt: skip
    # "<>" is not an operator: it reads as "<" then ">".
    assert types("select a from M where a <> 1;")[6:8] == ["LT", "GT"]


def test_numbers_and_strings() -> None:
    values = [
        t.text
        for t in tokenize("select a from M where a in (10, -5, +7, 'it''s', 11x2, 'a b');")
        if t.type is T.VALUE
    ]
    assert values == ["10", "-5", "+7", "'it''s'", "11x2", "'a b'"]


def test_order_and_orderby() -> None:
    assert types("select a from M orderby a;")[-3:] == ["ORDERBY", "COLUMNNAME", "SEMICOLON"]
    # "order" vanishes wherever it is; without "by" nothing else happens.
    assert types("select a from M where order a = 1;")[4:] == [
        "WHERE",
        "COLUMNNAME",
        "EQ",
        "VALUE",
        "SEMICOLON",
    ]


def test_unnamed_tokens_in_the_mandatory_part() -> None:
    assert types("selec * from M;")[0] == "Unknown"
    assert types("select *, a from M;")[2:4] == ["Unknown", "Unknown"]  # after "*" only "from" is named
    assert types("select * from where;")[3] == "Unknown"  # a module called "where"


def test_count_keeps_the_column_list_open() -> None:
    assert types("select count(*) from M;") == [
        "SELECT", "COUNT", "PARENOPEN", "ASTERISK", "PARENCLOSE", "FRM", "TABLENAME", "SEMICOLON",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["''", '"x"', "1.5", "@", "a.b", "!", "%", "'unterminated", "é"])
def test_unreadable_text_is_an_internal_error(text: str) -> None:
    with pytest.raises(WebServiceError) as caught:
        tokenize(f"select a from M where a = {text};")
    assert (caught.value.code, caught.value.message) == (
        INTERNAL_SERVER_ERROR,
        "Unknown Error while processing request",
    )


def test_lexing_is_lazy() -> None:
    lexer = Lexer("select a @")
    assert lexer.next_token() == Token(T.SELECT, "select")
    assert lexer.next_token() == Token(T.COLUMNNAME, "a")
    with pytest.raises(WebServiceError):
        lexer.next_token()


def test_line_numbers_count_only_lone_newlines() -> None:
    # Vtiger's substr_count arguments are swapped: only a whitespace run that is exactly "\n" counts.
    lexer = Lexer("select\na\r\nfrom \nM\n;")
    while lexer.next_token() is not None:
        pass
    assert lexer.line == 3
    assert lexer.value == ";"


def test_value_is_the_last_piece_read() -> None:
    lexer = Lexer("select a from M order  ")
    while lexer.next_token() is not None:
        pass
    assert lexer.value == "  "


@pytest.mark.parametrize(
    ("body", "readable"),
    [
        ("y" * 8189, True),
        ("y" * 8190, False),
        ("é" * 4094, True),  # PHP counts bytes
        ("é" * 4095, False),
        ("''" * 8189, True),  # a doubled quote is one repetition
        ("''" * 8190, False),
    ],
)
def test_long_quoted_strings_overflow_phps_regex_engine(body: str, readable: bool) -> None:
    # Thresholds measured by running Vtiger's lexer under PHP 8.2 (PCRE JIT stack exhausted).
    text = f"select a from M where a = '{body}';"
    if readable:
        assert tokenize(text)[-2] == Token(T.VALUE, f"'{body}'")
    else:
        with pytest.raises(WebServiceError):
            tokenize(text)
