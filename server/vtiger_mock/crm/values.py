"""Values cross the boundary here, once: client input → stored value, stored value → printed string.

Real Vtiger runs on MySQL in non-strict mode, so bad input is coerced rather than refused (text in a
number column becomes 0, an impossible date becomes empty). These functions reproduce that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from vtiger_mock.crm.schema import FieldMeta

MULTIPICKLIST_SEPARATOR = " |##| "
ZERO_DATE = "0000-00-00"
_INT64 = 2**63 - 1
_NUMERIC_STRING = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

_LEADING_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")


def php_string(value: Any) -> str:
    """How PHP turns a decoded JSON value into a string when it is stored in a text column."""
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (list, dict)):
        return "Array"
    return str(value)


def mysql_number(value: Any) -> float | None:
    """MySQL's non-strict cast of a value to a number: leading numeric prefix, else 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else 0.0
    text = php_string(value)
    if text.strip() == "":
        return None
    match = _LEADING_NUMBER.match(text)
    if not match:
        return 0.0
    try:
        number = float(match.group(0))
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0


def _valid_date(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def parse_date(value: Any) -> str | None:
    """A client date → stored YYYY-MM-DD, or None when nothing sensible can be read."""
    text = php_string(value).strip()
    if not text:
        return None
    iso = _ISO_DATE.match(text)
    if iso:
        y, m, d = (int(g) for g in iso.groups())
    else:
        dmy = _DMY_DATE.match(text)
        if not dmy:
            return None
        d, m, y = (int(g) for g in dmy.groups())
    if not _valid_date(y, m, d):
        # MySQL (non-strict) keeps an impossible day of a real month as the zero date.
        return ZERO_DATE if 1 <= m <= 12 and 1 <= d <= 31 else None
    return f"{y:04d}-{m:02d}-{d:02d}"


def to_stored(f: FieldMeta, value: Any, *, decimals: int | None = None) -> Any:
    """Convert one client-supplied value (already JSON-decoded) to what the column stores.

    References and owners are resolved by the caller (they need the module registry).  `decimals`
    rounds further, as currency input is rounded to the user's currency decimal places.
    """
    kind = f.kind
    if kind == "integer":
        number = mysql_number(value)
        # MySQL clamps out-of-range integers to the column's limits instead of failing.
        return None if number is None else int(max(-_INT64, min(_INT64, number)))
    if kind == "decimal":
        number = mysql_number(value)
        if number is None:
            return None
        if decimals is not None:
            number = _round(number, decimals)
        return _round(number, f.scale)
    if kind == "boolean":
        # CRMEntity stores 1 for "on" or anything PHP's loose == 1 accepts ("1", "01", "1.0", 1, true).
        if value is True or (isinstance(value, (int, float)) and value == 1):
            return 1
        if isinstance(value, str):
            text = value.strip()
            if text == "on" or (_NUMERIC_STRING.match(text) and float(text) == 1):
                return 1
        return 0
    if kind == "date":
        return parse_date(value)
    if kind == "multipicklist":
        if isinstance(value, list):
            return MULTIPICKLIST_SEPARATOR.join(php_string(v) for v in value)
        return php_string(value)
    if kind in ("datetime", "time"):
        text = php_string(value)
        return text or None
    return php_string(value)


def _round(number: float, scale: int | None) -> float:
    if scale is None:
        return number
    quantum = Decimal(1).scaleb(-scale)
    try:
        return float(Decimal(repr(number)).quantize(quantum, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return number


def to_output(f: FieldMeta, stored: Any) -> str:
    """A stored value → the string real Vtiger prints (references/owners are printed by the caller)."""
    return output_converter(f)(stored)


def output_converter(f: FieldMeta) -> Callable[[Any], str]:
    """The printing function of a field, chosen once per field so that printing many rows does
    no per-value dispatch on the field's kind."""
    if f.kind == "decimal":
        return partial(_print_decimal, scale=f.scale if f.scale is not None else 8)
    if f.kind in ("integer", "boolean"):
        return _print_integer
    return _print_text


def _print_text(stored: Any) -> str:
    return "" if stored is None else str(stored)


def _print_integer(stored: Any) -> str:
    if stored is None:
        return ""
    if isinstance(stored, float) and stored.is_integer():
        return str(int(stored))
    return str(stored)


def _print_decimal(stored: Any, scale: int) -> str:
    """With the column's scale, as MySQL prints a DECIMAL: "1250.50000000"."""
    if stored is None:
        return ""
    if not isinstance(stored, (int, float)):
        return str(stored)
    text = repr(float(stored))
    point = text.find(".")
    # Fast path: the shortest repr already has no more digits than the scale; pad it.
    if point >= 0 and "e" not in text and len(text) - point - 1 <= scale:
        return text + "0" * (scale - (len(text) - point - 1)) if scale else text[:point]
    try:
        quantized = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(stored)
    return format(quantized, "f")


def split_ws_id(value: str) -> tuple[str, str]:
    """Vtiger splits webservice ids on every lowercase x: component 0 is the prefix, 1 the record id."""
    parts = value.split("x")
    return parts[0], parts[1] if len(parts) > 1 else ""


_LEADING_INT = re.compile(r"\s*(\d+)")


def leading_int(text: str) -> int | None:
    """MySQL's cast of "12x5" or "12" to an integer: the leading digits, else None."""
    match = _LEADING_INT.match(text)
    return int(match.group(1)) if match else None


def from_output(f: FieldMeta, text: str) -> Any:
    """A printed value (as in a recording or a dump) → the stored value.  Inverse of printing."""
    if f.kind in ("reference", "owner"):
        if not text:
            return None
        return leading_int(split_ws_id(text)[1]) if "x" in text else leading_int(text)
    if f.kind in ("integer", "boolean"):
        return int(text) if text.strip().lstrip("-").isdigit() else None
    if f.kind == "decimal":
        try:
            return float(text)
        except ValueError:
            return None
    if f.kind in ("date", "datetime", "time") and text == "":
        return None
    return text
