"""Value conversion (crm/values.py): client input → stored value → the string Vtiger prints.

Expected values come from the real 8.2.0 recordings where one exists (named in the test), else
from MySQL non-strict / PHP semantics as the spec (§6.1, §6.2) describes them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import recorded
from vtiger_mock.crm.modules import ModuleRegistry
from vtiger_mock.crm.schema import FieldMeta, load_modules
from vtiger_mock.crm.values import (
    ZERO_DATE,
    from_output,
    leading_int,
    mysql_number,
    parse_date,
    php_string,
    split_ws_id,
    to_output,
    to_stored,
)
from vtiger_mock.settings import Settings

MODULES = ModuleRegistry(load_modules(Settings().profile_dir / "modules"))


def field(module: str, name: str) -> FieldMeta:
    f = MODULES[module].field(name)
    assert f is not None, f"{module}.{name}"
    return f


EMPLOYEES = field("Accounts", "employees")  # integer
ANNUAL_REVENUE = field("Accounts", "annual_revenue")  # currency, decimal(25,8)
EMAILOPTOUT = field("Accounts", "emailoptout")  # boolean (uitype 56)
BIRTHDAY = field("Contacts", "birthday")  # date
PROBABILITY = field("Potentials", "probability")  # decimal(7,3)
QTY_PER_UNIT = field("Products", "qty_per_unit")  # decimal(11,2)
UNIT_PRICE = field("Products", "unit_price")  # currency
ACCOUNT_ID = field("Contacts", "account_id")  # reference
TIME_START = field("Calendar", "time_start")  # time
CREATEDTIME = field("Contacts", "createdtime")  # datetime
MULTI = FieldMeta(name="tags", kind="multipicklist", type_name="multipicklist", uitype=33, mandatory=False)


# ---------------------------------------------------------------------------------------- PHP strings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "1"),
        (False, ""),
        (0, "0"),
        (42, "42"),
        (1.0, "1"),
        (12.5, "12.5"),
        ("text", "text"),
        ([1, 2], "Array"),
        ({"a": 1}, "Array"),
    ],
)
def test_php_string(value: Any, expected: str) -> None:
    assert php_string(value) == expected


# ---------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lots", 0.0),
        ("12abc", 12.0),
        ("  7 ", 7.0),
        ("-3", -3.0),
        ("+4.5kg", 4.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("abc12", 0.0),
        ("--1", 0.0),
        (42, 42.0),
        (12.5, 12.5),
        (True, 1.0),
        (False, 0.0),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_mysql_number_coercion(value: Any, expected: float | None) -> None:
    assert mysql_number(value) == expected


@pytest.mark.parametrize(
    ("value", "stored", "printed"),
    [
        ("lots", 0, "0"),  # recording create_Accounts_text_in_integer_field
        ("12abc", 12, "12"),
        ("120", 120, "120"),  # recording create_Accounts
        (42, 42, "42"),  # recording create_Accounts_json_typed_values (JSON number)
        ("-7", -7, "-7"),
    ],
)
def test_integer_field(value: Any, stored: int, printed: str) -> None:
    result = to_stored(EMPLOYEES, value)
    assert result == stored
    assert isinstance(result, int)
    assert to_output(EMPLOYEES, result) == printed


def test_integer_field_empty_is_null() -> None:
    assert to_stored(EMPLOYEES, "") is None
    assert to_stored(EMPLOYEES, None) is None
    assert to_output(EMPLOYEES, None) == ""


def test_integer_recordings() -> None:
    assert recorded("create_Accounts_text_in_integer_field")["response_json"]["result"]["employees"] == "0"
    assert recorded("create_Accounts_json_typed_values")["response_json"]["result"]["employees"] == "42"


# ---------------------------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("f", "value", "printed"),
    [
        (ANNUAL_REVENUE, "1000000", "1000000.00000000"),  # recording create_Accounts
        (ANNUAL_REVENUE, "1250.5", "1250.50000000"),
        (ANNUAL_REVENUE, "0", "0.00000000"),
        (PROBABILITY, "10", "10.000"),  # recording create_Potentials
        (PROBABILITY, "12.3456", "12.346"),
        (QTY_PER_UNIT, "3", "3.00"),
        (QTY_PER_UNIT, "2.5abc", "2.50"),
        (QTY_PER_UNIT, "lots", "0.00"),
    ],
)
def test_decimals_are_printed_with_the_field_scale(f: FieldMeta, value: Any, printed: str) -> None:
    assert to_output(f, to_stored(f, value)) == printed


def test_decimal_scales_come_from_the_recordings() -> None:
    created = recorded("create_Potentials")["response_json"]["result"]
    assert created["amount"] == to_output(
        field("Potentials", "amount"), to_stored(field("Potentials", "amount"), "50000")
    )
    assert created["probability"] == to_output(PROBABILITY, to_stored(PROBABILITY, "10"))
    product = recorded("create_Products")["response_json"]["result"]
    qty = field("Products", "qtyinstock")
    assert product["qtyinstock"] == to_output(qty, to_stored(qty, "100")) == "100.000"
    assert product["qty_per_unit"] == to_output(QTY_PER_UNIT, 0) == "0.00"


@pytest.mark.parametrize(
    ("f", "value", "decimals", "printed"),
    [
        (ANNUAL_REVENUE, 12.5, 0, "13.00000000"),  # recording create_Accounts_json_typed_values
        (UNIT_PRICE, "19.99", 0, "20.00000000"),  # recording create_Products (admin: 0 decimals)
        (UNIT_PRICE, "19.994", 2, "19.99000000"),
        (UNIT_PRICE, "19.995", 2, "20.00000000"),
        (UNIT_PRICE, "2.675", 2, "2.68000000"),  # half-up on the decimal text, not the binary float
        (UNIT_PRICE, "19.99", None, "19.99000000"),
    ],
)
def test_currency_rounding_with_decimals(
    f: FieldMeta, value: Any, decimals: int | None, printed: str
) -> None:
    assert to_output(f, to_stored(f, value, decimals=decimals)) == printed


def test_currency_rounding_recordings() -> None:
    typed = recorded("create_Accounts_json_typed_values")
    assert '"annual_revenue": 12.5' in typed["params"]["element"]
    assert typed["response_json"]["result"]["annual_revenue"] == "13.00000000"
    assert recorded("create_Products")["response_json"]["result"]["unit_price"] == "20.00000000"


def test_decimal_empty_is_null() -> None:
    assert to_stored(ANNUAL_REVENUE, "") is None
    assert to_output(ANNUAL_REVENUE, None) == ""


# ---------------------------------------------------------------------------------------- booleans


@pytest.mark.parametrize("value", ["on", 1, "1", True, 1.0, " 1 "])
def test_boolean_true_values(value: Any) -> None:
    assert to_stored(EMAILOPTOUT, value) == 1
    assert to_output(EMAILOPTOUT, to_stored(EMAILOPTOUT, value)) == "1"


@pytest.mark.parametrize(
    "value", ["true", "yes", "TRUE", "On", "off", "0", 0, False, None, "", 2, "2", [1], "x"]
)
def test_boolean_everything_else_is_false(value: Any) -> None:
    assert to_stored(EMAILOPTOUT, value) == 0
    assert to_output(EMAILOPTOUT, 0) == "0"


@pytest.mark.parametrize("value", ["1.0", "01"])
def test_boolean_numeric_strings_equal_to_one(value: str) -> None:
    assert to_stored(EMAILOPTOUT, value) == 1


def test_boolean_recording() -> None:
    exchange = recorded("create_Accounts_json_typed_values")
    assert '"emailoptout": true' in exchange["params"]["element"]
    assert '"notify_owner": false' in exchange["params"]["element"]
    result = exchange["response_json"]["result"]
    assert (result["emailoptout"], result["notify_owner"]) == ("1", "0")
    assert to_output(EMAILOPTOUT, to_stored(EMAILOPTOUT, True)) == "1"
    assert to_output(EMAILOPTOUT, to_stored(EMAILOPTOUT, False)) == "0"


# ---------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31", "2026-12-31"),
        ("2026-1-5", "2026-01-05"),
        ("2026-12-31 10:00:00", "2026-12-31"),
        ("17-05-1980", "1980-05-17"),  # recording create_Contacts_date_other_format
        ("31/12/2026", "2026-12-31"),  # recording create_Potentials_invalid_closingdate
        ("2024-02-29", "2024-02-29"),
        ("2026-02-30", ZERO_DATE),  # recording revise_Contacts_invalid_date
        ("2025-02-29", ZERO_DATE),
        ("2026-04-31", ZERO_DATE),
        ("2026-13-45", None),  # recording create_Contacts_invalid_date
        ("2026-13-01", None),
        ("2026-00-10", None),
        ("not-a-date", None),  # recording create_Contacts_invalid_date_text
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_zero_date_is_the_real_value() -> None:
    assert ZERO_DATE == "0000-00-00"


@pytest.mark.parametrize(
    ("exchange", "printed"),
    [
        ("create_Contacts_date_other_format", "1980-05-17"),
        ("create_Contacts_invalid_date", ""),
        ("create_Contacts_invalid_date_text", ""),
        ("revise_Contacts_invalid_date", "0000-00-00"),
    ],
)
def test_birthday_recordings(exchange: str, printed: str) -> None:
    e = recorded(exchange)
    sent = json.loads(e["params"]["element"])["birthday"]
    assert e["response_json"]["result"]["birthday"] == printed
    assert to_output(BIRTHDAY, to_stored(BIRTHDAY, sent)) == printed


# ---------------------------------------------------------------------------------------- other kinds


def test_multipicklist_joins_lists() -> None:
    assert to_stored(MULTI, ["A", "B", "C"]) == "A |##| B |##| C"
    assert to_stored(MULTI, "A |##| B") == "A |##| B"
    assert to_output(MULTI, "A |##| B") == "A |##| B"


def test_time_and_datetime_are_stored_verbatim() -> None:
    assert to_stored(TIME_START, "09:30") == "09:30"
    assert to_stored(TIME_START, "") is None
    assert to_stored(CREATEDTIME, "2026-11-22 23:57:10") == "2026-11-22 23:57:10"
    assert to_output(TIME_START, None) == ""


def test_string_fields_store_php_strings() -> None:
    phone = field("Accounts", "phone")
    assert to_stored(phone, 5550100) == "5550100"
    assert to_stored(phone, None) == ""
    assert to_stored(phone, ["a"]) == "Array"
    assert to_output(phone, "555-0100") == "555-0100"


def test_every_printed_value_is_a_string() -> None:
    samples: list[tuple[FieldMeta, Any]] = [
        (EMPLOYEES, 3),
        (ANNUAL_REVENUE, 1.5),
        (EMAILOPTOUT, 1),
        (BIRTHDAY, "2020-01-01"),
        (TIME_START, "10:00:00"),
        (MULTI, "A"),
    ]
    for f, stored in samples:
        assert isinstance(to_output(f, stored), str)
        assert to_output(f, None) == ""


# ---------------------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11x2", ("11", "2")),
        ("11x", ("11", "")),
        ("x5", ("", "5")),
        ("abc", ("abc", "")),
        ("12X5", ("12X5", "")),
    ],
)
def test_split_ws_id_on_lowercase_x(text: str, expected: tuple[str, str]) -> None:
    assert split_ws_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("12x5", 12), ("12", 12), (" 7", 7), ("x5", None), ("", None)]
)
def test_leading_int(text: str, expected: int | None) -> None:
    assert leading_int(text) == expected


def test_from_output_inverts_printing() -> None:
    assert from_output(ACCOUNT_ID, "11x2") == 2
    assert from_output(ACCOUNT_ID, "") is None
    assert from_output(EMPLOYEES, "42") == 42
    assert from_output(EMPLOYEES, "-3") == -3
    assert from_output(ANNUAL_REVENUE, "1250.50000000") == 1250.5
    assert from_output(BIRTHDAY, "") is None
    assert from_output(BIRTHDAY, "2020-01-01") == "2020-01-01"


@pytest.mark.parametrize(
    "exchange", ["retrieve_acc", "retrieve_con", "retrieve_pot", "retrieve_prod", "retrieve_lead"]
)
def test_recorded_values_survive_a_round_trip(exchange: str) -> None:
    """Every recorded printed value, read back and printed again, is unchanged."""
    e = recorded(exchange)
    module = MODULES.by_prefix(int(e["params"]["id"].split("x")[0]))
    assert module is not None
    result = e["response_json"]["result"]
    checked = 0
    for f in module.fields:
        if f.name not in result or f.kind in ("reference", "owner") or f.special:
            continue
        assert to_output(f, from_output(f, result[f.name])) == result[f.name], f.name
        checked += 1
    assert checked > 10
