"""VTQL, Vtiger's query language: lexer, parser and syntax tree (the compiler builds on these)."""

from vtiger_mock.vtql.ast import (
    Columns,
    Condition,
    Connector,
    CountStar,
    Direction,
    Limit,
    Operator,
    OrderBy,
    Query,
    Star,
    Value,
    ValueKind,
    Where,
)
from vtiger_mock.vtql.lexer import Lexer, Token, TokenType, tokenize
from vtiger_mock.vtql.parser import ParserCrash, extract_module, parse

__all__ = [
    "Columns",
    "Condition",
    "Connector",
    "CountStar",
    "Direction",
    "Lexer",
    "Limit",
    "Operator",
    "OrderBy",
    "ParserCrash",
    "Query",
    "Star",
    "Token",
    "TokenType",
    "Value",
    "ValueKind",
    "Where",
    "extract_module",
    "parse",
    "tokenize",
]
