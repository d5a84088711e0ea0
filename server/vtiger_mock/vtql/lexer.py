"""The VTQL lexer: Vtiger 8.2.0's context-sensitive tokenizer (include/Webservices/VTQL_Lexer.php).

Vtiger splits the text with one regular expression and then names each piece by *where* it is in the
statement, so the same word can be a COLUMNNAME, a TABLENAME or a VALUE.  That naming has quirks
clients can observe through error messages, and all of them are kept:

* keywords are recognised only where the lexer expects them (``select`` only first, ``from`` only after
  the column list, ``in``/``like`` only after a where-column, ``asc``/``desc`` only after ORDER BY);
* after a where-value the next word is a COLUMNNAME (``= Acme Corp`` reads ``Corp`` as a column), but
  after ``in`` every word is a VALUE until a ``)`` closes the list (``in 'a' and b = 1`` reads ``b`` as a
  value);
* the word ``order`` is dropped silently wherever it appears after the module name; ``by`` after it
  (or the single word ``orderby``) starts the ORDER BY part, ``where`` and ``limit`` switch parts;
* a word the lexer cannot name in the mandatory part (anything but ``select`` first, anything but
  ``from`` after ``*``, a module called ``where``) becomes a token without a type, which the parser
  reports as ``Unknown``;
* the line number only grows on a whitespace run that is exactly one ``\\n`` (Vtiger calls
  ``substr_count`` with its arguments swapped).

Text the regular expression cannot read (``"``, ``.``, ``@``, ``''``, a lone ``!`` …, and quoted strings
longer than about 8 KiB, which exhaust PHP's regex stack) is a PHP exception in Vtiger, answered as
INTERNAL_SERVER_ERROR; the lexer is pulled one token at a time by the parser, so
that error only surfaces if the parser has not failed on an earlier token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum, auto

from vtiger_mock.protocol.errors import internal_error


class TokenType(Enum):
    """Terminal symbols, named and numbered as VTQL_Parser.php names them (messages print the names)."""

    SELECT = 1
    FRM = 2
    COLUMNNAME = 3
    ASTERISK = 4
    COUNT = 5
    PARENOPEN = 6
    PARENCLOSE = 7
    COMMA = 8
    TABLENAME = 9
    WHERE = 10
    LOGICAL_AND = 11
    LOGICAL_OR = 12
    VALUE = 13
    EQ = 14
    LT = 15
    GT = 16
    LTE = 17
    GTE = 18
    NE = 19
    IN = 20
    LIKE = 21
    ORDERBY = 22
    ASC = 23
    DESC = 24
    LIMIT = 25
    SEMICOLON = 26


@dataclass(frozen=True, slots=True)
class Token:
    # None: the lexer read the text but could not name it here (the parser prints "Unknown").
    type: TokenType | None
    text: str
    start: int = field(default=-1, compare=False)  # where the text begins in the statement


# One piece of input, alternatives in Vtiger's order: a word wins over a number ("10" is a word),
# a quoted string may contain doubled quotes but not be empty, "<>" is "<" then ">".
# re.ASCII because PHP's PCRE (no /u flag) only knows ASCII letters, digits and spaces.
_QUOTED = r"'(?:[^']|'')+'"
_PIECE = re.compile(
    rf"(?P<token>\w+|{_QUOTED}|\(|\)|[+-]?\d+|,|\*|=|<(?!=)|>(?!=)|<=|>=|!=|;)|(?P<space>[ \t\r\n]+)",
    re.ASCII,
)
# The quoted piece alone.  No other piece contains a quote, so in text the lexer reads, this finds
# exactly the quoted pieces the lexer reads.
QUOTED_PIECE = re.compile(_QUOTED, re.ASCII)
# PHP runs that expression with PCRE's JIT, whose stack (PHP's 192 KiB) overflows when the quoted-string
# loop repeats more than this many times — once per byte, or per doubled quote — and preg_match then
# fails like unreadable text.  Measured under PHP 8.2; nothing else in a statement gets near a limit.
_PCRE_JIT_MAX_REPEATS = 8189
_QUOTED_RUN = re.compile(r"(?:[^']|'')*")


class _Part(Enum):
    """Where the lexer is: the four mandatory parts, then the three optional ones."""

    SELECT = auto()
    COLUMNS = auto()
    FROM = auto()  # only after "*": Vtiger skips this part when "from" ends a column list
    TABLE = auto()
    WHERE = auto()
    ORDER_BY = auto()
    LIMIT = auto()


# Words that switch the optional part wherever they appear (compared lower-cased, as Vtiger does).
_PART_WORDS = {"where": _Part.WHERE, "orderby": _Part.ORDER_BY, "limit": _Part.LIMIT}

_PUNCTUATION = {"(": TokenType.PARENOPEN, ")": TokenType.PARENCLOSE, ",": TokenType.COMMA}

_WHERE_OPERATORS = {
    "=": TokenType.EQ,
    "<": TokenType.LT,
    "<=": TokenType.LTE,
    ">=": TokenType.GTE,
    "!=": TokenType.NE,
    ">": TokenType.GT,
}


def _is(text: str, keyword: str) -> bool:
    """Vtiger's strcasecmp: ASCII case-insensitive equality."""
    return text.isascii() and text.lower() == keyword


class _Skip:
    """Marker for a piece Vtiger reads and drops (the word "order")."""


_SKIP = _Skip()


class Lexer:
    """Yields tokens on demand, like VTQL_Lexer::yylex.

    ``line`` and ``value`` mirror the lexer fields Vtiger's syntax errors print: the line number and
    the last piece read, which at end of input may be trailing whitespace or a dropped ``order``.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self.line = 1
        self.value = ""
        self._part = _Part.SELECT
        # The four globals of VTQL_Lexer.php, with their PHP names in the comments.
        self._count_seen = False  # $count: "count" was read, so "*" does not end the column list
        self._where_column = False  # $where_col: a where-column was read, values come next
        self._in_list = False  # $in_started: inside the values of IN
        self._order = False  # $orderby: "order" was read / ORDER BY was already produced

    def next_token(self) -> Token | None:
        """The next token, or None at the end of the text; raises INTERNAL_SERVER_ERROR on unreadable text."""
        while self._pos < len(self._text):
            match = _PIECE.match(self._text, self._pos)
            if match is None or (self._text[self._pos] == "'" and self._jit_overflows()):
                raise internal_error()
            self.value = match.group()
            start, self._pos = self._pos, match.end()
            if self.value == "\n":
                self.line += 1
            if match.group("space") is not None:
                continue
            kind = self._classify(self.value)
            if isinstance(kind, _Skip):
                continue
            return Token(kind, self.value, start)
        return None

    def _jit_overflows(self) -> bool:
        # PCRE goes as far as the loop can before looking for the closing quote, so the depth is
        # that of the longest run, even where backtracking would then settle on a shorter string.
        run = _QUOTED_RUN.match(self._text, self._pos + 1)
        assert run is not None
        repeats = len(run.group().encode("utf-8", "surrogatepass")) - run.group().count("''")
        return repeats > _PCRE_JIT_MAX_REPEATS

    def _classify(self, text: str) -> TokenType | _Skip | None:
        if self._part is _Part.SELECT:
            if _is(text, "select"):
                self._part = _Part.COLUMNS
                return TokenType.SELECT
            return None
        if self._part is _Part.COLUMNS:
            return self._column_list(text)
        if self._part is _Part.FROM:
            if _is(text, "from"):
                self._part = _Part.TABLE
                return TokenType.FRM
            return None
        if self._part is _Part.TABLE:
            self._part = _Part.WHERE
            return None if _is(text, "where") else TokenType.TABLENAME
        return self._optional(text)

    def _column_list(self, text: str) -> TokenType:
        if _is(text, "from"):
            self._part = _Part.TABLE
            return TokenType.FRM
        if text == "*":
            if not self._count_seen:
                self._part = _Part.FROM
            return TokenType.ASTERISK
        if _is(text, "count"):
            self._count_seen = True
            return TokenType.COUNT
        return _PUNCTUATION.get(text, TokenType.COLUMNNAME)

    def _optional(self, text: str) -> TokenType | _Skip:
        if text == ";":
            return TokenType.SEMICOLON
        if _is(text, "order"):
            self._order = True
            return _SKIP
        if _is(text, "by") and self._order:
            self._order = False
            self._part = _Part.ORDER_BY
        self._part = _PART_WORDS.get(text.lower(), self._part)
        if self._part is _Part.WHERE:
            return self._where(text)
        if self._part is _Part.ORDER_BY:
            return self._order_by(text)
        if _is(text, "limit"):
            return TokenType.LIMIT
        return _PUNCTUATION.get(text, TokenType.VALUE)

    def _where(self, text: str) -> TokenType:
        # The order of these tests is Vtiger's and decides what ambiguous words become.
        if text in _WHERE_OPERATORS:
            return _WHERE_OPERATORS[text]
        if _is(text, "where"):
            return TokenType.WHERE
        if text == "(":
            return TokenType.PARENOPEN
        if text == ")":
            if self._in_list:
                self._in_list = False
                self._where_column = False
            return TokenType.PARENCLOSE
        if _is(text, "and"):
            return TokenType.LOGICAL_AND
        if _is(text, "or"):
            return TokenType.LOGICAL_OR
        if not self._where_column:
            self._where_column = True
            return TokenType.COLUMNNAME
        if _is(text, "in"):
            self._in_list = True
            return TokenType.IN
        if text == ",":
            return TokenType.COMMA
        if _is(text, "like"):
            return TokenType.LIKE
        if not self._in_list:
            self._where_column = False
        return TokenType.VALUE

    def _order_by(self, text: str) -> TokenType:
        if not self._order:
            # The first word of this part, whatever it is, is the ORDERBY keyword ("by" or "orderby").
            self._order = True
            return TokenType.ORDERBY
        if text == ",":
            return TokenType.COMMA
        if _is(text, "asc"):
            return TokenType.ASC
        if _is(text, "desc"):
            return TokenType.DESC
        return TokenType.COLUMNNAME


def tokenize(text: str) -> list[Token]:
    """All tokens of `text` (raises INTERNAL_SERVER_ERROR where Vtiger's lexer would fail)."""
    lexer = Lexer(text)
    tokens: list[Token] = []
    while (token := lexer.next_token()) is not None:
        tokens.append(token)
    return tokens
