"""The record store used directly, without HTTP: ids, record numbers, printing, create / update /
revise / delete rules (spec §4, §6, §10.6).  The real 8.2.0 recordings are the oracle."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.conftest import START_EPOCH, recorded, same_json
from vtiger_mock.crm.clock import format_epoch, parse_timestamp
from vtiger_mock.crm.database import DELETED
from vtiger_mock.crm.records import Actor
from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol.errors import WebServiceError

NOW = format_epoch(START_EPOCH)


T = TypeVar("T")


class Store:
    """crm.records with one write transaction per call, acting as the admin user."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm

    def _run(self, fn: Callable[[Connection, Actor], T]) -> T:
        with self.crm.db.transaction("write") as conn:
            actor = self.crm.auth.actor(conn, 1)
            assert actor is not None
            return fn(conn, actor)

    def create(self, module: str, element: Any) -> dict[str, Any]:
        return self._run(
            lambda conn, actor: self.crm.records.create(conn, self.crm.modules[module], element, actor)
        )

    def retrieve(self, ws_id: Any) -> dict[str, Any]:
        def go(conn: Connection, actor: Actor) -> dict[str, Any]:
            module, record_id = self.crm.records.locate(conn, ws_id)
            return self.crm.records.retrieve(conn, module, record_id)

        return self._run(go)

    def update(self, element: Any) -> dict[str, Any]:
        return self._run(lambda conn, actor: self.crm.records.update(conn, element, actor, "update"))

    def revise(self, element: Any) -> dict[str, Any]:
        return self._run(lambda conn, actor: self.crm.records.update(conn, element, actor, "revise"))

    def delete(self, ws_id: Any) -> None:
        self._run(lambda conn, actor: self.crm.records.delete(conn, ws_id, actor))


@pytest.fixture
def store(crm: CRM) -> Store:
    return Store(crm)


@pytest.fixture
def acme(store: Store) -> dict[str, Any]:
    return store.create(
        "Accounts", {"accountname": "Acme Corp", "assigned_user_id": "19x1", "phone": "555-0100"}
    )


class raises_ws:
    """`with raises_ws(code, message):` — a WebServiceError with exactly this code and message."""

    def __init__(self, code: str | int, message: str) -> None:
        self.code = code
        self.message = message

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        assert isinstance(exc, WebServiceError), f"expected {self.code} {self.message!r}, got {exc!r}"
        assert (exc.code, exc.message) == (self.code, self.message)
        assert type(exc.code) is type(self.code)
        return True


DENIED = ("ACCESS_DENIED", "Permission to perform the operation is denied")
DENIED_FOR_ID = ("ACCESS_DENIED", "Permission to perform the operation is denied for id")
INVALID_ID = ("INVALID_ID_ATTRIBUTE", "Id specified is incorrect")
DUPLICATE = (0, "Duplicate(s) detected!")


def recorded_error(name: str) -> tuple[str | int, str]:
    error = recorded(name)["response_json"]["error"]
    return error["code"], error["message"]


def recorded_element(name: str) -> dict[str, Any]:
    element = json.loads(recorded(name)["params"]["element"])
    assert isinstance(element, dict)
    return element


# ---------------------------------------------------------------------------------------- replay


# The first creates of the recorded session, in order, on a fresh install.  Failed creates do not
# use up an id, so replayed in the same order every id and record number must come out the same.
CREATE_SEQUENCE = [
    "create_Accounts",
    "create_Accounts_minimal",
    "create_Accounts_no_assigned_user",
    "create_Accounts_json_typed_values",
    "create_Accounts_duplicate_name",
    "create_Accounts_assigned_to_group",
    "create_Contacts_linked_to_account",
    "create_Contacts_second",
    "create_Contacts_no_account",
    "create_Leads",
    "create_Leads_second",
    "create_Potentials",
    "create_Products",
    "create_Products_second",
    "create_Services",
    "create_HelpDesk",
    "create_Documents_external_url",
    "create_Documents_internal_without_file",
    "create_Calendar_task",
    "create_Calendar_task_with_activitytype_Task",
    "create_Events",
    "create_Vendors",
]


def replay_creates(crm: CRM, store: Store, names: list[str]) -> None:
    for name in names:
        exchange = recorded(name)
        expected = exchange["response_json"]
        module = exchange["params"]["elementType"]
        if expected["success"]:
            crm.clock.freeze(parse_timestamp(expected["result"]["createdtime"]))
            got = store.create(module, json.loads(exchange["params"]["element"]))
            assert same_json(got, expected["result"]), name
        else:
            with raises_ws(expected["error"]["code"], expected["error"]["message"]):
                store.create(module, json.loads(exchange["params"]["element"]))


def test_recorded_creates_are_reproduced_exactly(crm: CRM, store: Store) -> None:
    replay_creates(crm, store, CREATE_SEQUENCE)


def test_recorded_retrieves_after_the_creates(crm: CRM, store: Store) -> None:
    replay_creates(crm, store, CREATE_SEQUENCE)
    for name in ["retrieve_con", "retrieve_lead", "retrieve_pot", "retrieve_srv", "retrieve_tkt", "retrieve_doc",
                 "retrieve_task2", "retrieve_ev", "retrieve_vend", "retrieve_Calendar_task_with_Events_prefix"]:  # fmt: skip
        exchange = recorded(name)
        assert same_json(store.retrieve(exchange["params"]["id"]), exchange["response_json"]["result"]), name
    for name in ["retrieve_task", "retrieve_Event_with_Calendar_prefix", "retrieve_wrong_prefix_account_id_with_contacts_prefix"]:  # fmt: skip
        with raises_ws(*recorded_error(name)):
            store.retrieve(recorded(name)["params"]["id"])


def test_calendar_create_that_becomes_an_event_drops_taskstatus(crm: CRM, store: Store) -> None:
    acme = store.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})
    assert acme["id"] == "11x2"
    exchange = recorded("create_Calendar_via_Events_fields_wrong_module")
    result = store.create("Calendar", json.loads(exchange["params"]["element"]))
    assert result["taskstatus"] == exchange["response_json"]["result"]["taskstatus"] == ""


# ---------------------------------------------------------------------------------------- ids


def test_crmid_sequence_starts_at_2_and_is_shared_by_all_modules(store: Store) -> None:
    ids = [
        store.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})["id"],
        store.create("Contacts", {"lastname": "B", "assigned_user_id": "19x1"})["id"],
        store.create("Leads", {"lastname": "C", "company": "C", "assigned_user_id": "19x1"})["id"],
        store.create("Accounts", {"accountname": "D", "assigned_user_id": "19x1"})["id"],
    ]
    assert ids == ["11x2", "12x3", "10x4", "11x5"]


def test_ids_are_never_reused_after_delete(store: Store) -> None:
    first = store.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})["id"]
    store.delete(first)
    second = store.create("Accounts", {"accountname": "B", "assigned_user_id": "19x1"})["id"]
    assert (first, second) == ("11x2", "11x3")


def test_failed_creates_do_not_use_up_ids(store: Store) -> None:
    with raises_ws("MANDATORY_FIELDS_MISSING", "accountname does not have a value"):
        store.create("Accounts", {"assigned_user_id": "19x1"})
    assert store.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})["id"] == "11x2"


def test_record_numbers_count_per_module(store: Store) -> None:
    numbers = [
        store.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})["account_no"],
        store.create("Accounts", {"accountname": "B", "assigned_user_id": "19x1"})["account_no"],
        store.create("Contacts", {"lastname": "C", "assigned_user_id": "19x1"})["contact_no"],
        store.create("Accounts", {"accountname": "D", "assigned_user_id": "19x1", "account_no": "MINE"})[
            "account_no"
        ],
    ]
    assert numbers == ["ACC1", "ACC2", "CON1", "ACC3"]


def test_record_numbers_are_not_reused_after_delete(store: Store) -> None:
    first = store.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})
    store.delete(first["id"])
    assert store.create("Accounts", {"accountname": "B", "assigned_user_id": "19x1"})["account_no"] == "ACC2"


# ---------------------------------------------------------------------------------------- printing


def test_every_printed_value_is_a_string(store: Store) -> None:
    result = store.create("Accounts", recorded_element("create_Accounts_json_typed_values"))
    assert all(isinstance(v, str) for v in result.values()), result
    assert result["employees"] == "42"
    assert result["description"] == ""


def test_products_currency1_is_the_one_raw_number(store: Store) -> None:
    result = store.create("Products", {"productname": "W", "unit_price": "19.99", "assigned_user_id": "19x1"})
    recorded_result = recorded("create_Products")["response_json"]["result"]
    assert recorded_result["currency1"] == 20
    assert result["currency1"] == 20
    assert type(result["currency1"]) is int
    others = {k: v for k, v in result.items() if k != "currency1"}
    assert all(isinstance(v, str) for v in others.values())


def test_created_record_carries_times_and_modifier(crm: CRM, store: Store, acme: dict[str, Any]) -> None:
    assert acme["createdtime"] == acme["modifiedtime"] == NOW == "2026-11-22 23:57:09"
    assert acme["modifiedby"] == "19x1"
    assert acme["source"] == "WEBSERVICE"
    assert acme["label"] == "Acme Corp"
    crm.clock.advance(65)
    revised = store.revise({"id": acme["id"], "phone": "1"})
    assert revised["createdtime"] == NOW
    assert revised["modifiedtime"] == "2026-11-22 23:58:14"


def test_read_only_fields_are_ignored_on_create(store: Store) -> None:
    result = store.create(
        "Accounts",
        {"accountname": "A", "assigned_user_id": "19x1", "createdtime": "2000-01-01 00:00:00", "id": "11x99"},
    )
    assert result["createdtime"] == NOW
    assert result["id"] == "11x2"


def test_unknown_fields_are_ignored(store: Store, acme: dict[str, Any]) -> None:
    revised = store.revise({"id": acme["id"], "no_such_field": "x"})
    assert "no_such_field" not in revised
    assert {k: v for k, v in revised.items() if k != "modifiedtime"} == {
        k: v for k, v in acme.items() if k != "modifiedtime"
    }


# ---------------------------------------------------------------------------------------- owners


@pytest.mark.parametrize(
    ("owner", "printed", "exchange"),
    [
        ("19x1", "19x1", "create_Accounts"),
        ("20x3", "20x3", "create_Accounts_assigned_to_group"),
        ("19x999", "999", "create_Accounts_bad_assigned_user"),
        ("11x1", "19x1", "create_Accounts_assigned_user_wrong_prefix"),
    ],
)
def test_owner_printing(store: Store, owner: str, printed: str, exchange: str) -> None:
    assert recorded(exchange)["response_json"]["result"]["assigned_user_id"] == printed
    result = store.create("Accounts", {"accountname": "Owned", "assigned_user_id": owner})
    assert result["assigned_user_id"] == printed
    assert store.retrieve(result["id"])["assigned_user_id"] == printed


def test_owner_without_x_is_the_current_user(store: Store) -> None:
    result = store.create("Accounts", {"accountname": "Owned", "assigned_user_id": "5"})
    assert result["assigned_user_id"] == "19x1"


def test_owner_prefix_is_not_checked_and_groups_print_as_20x(store: Store) -> None:
    # Only the part after "x" is stored; group 2 ("Team Selling") prints as a group.
    assert (
        store.create("Accounts", {"accountname": "G", "assigned_user_id": "19x2"})["assigned_user_id"]
        == "20x2"
    )


# ---------------------------------------------------------------------------------------- references


def test_dangling_reference_is_stored_but_printed_empty(store: Store) -> None:
    assert (
        recorded("create_Contacts_bad_reference_nonexistent")["response_json"]["result"]["account_id"] == ""
    )
    result = store.create(
        "Contacts", {"lastname": "BadRef", "account_id": "11x999999", "assigned_user_id": "19x1"}
    )
    assert result["account_id"] == ""


def test_reference_to_a_deleted_record_prints_empty(store: Store, acme: dict[str, Any]) -> None:
    contact = store.create(
        "Contacts", {"lastname": "Doe", "account_id": acme["id"], "assigned_user_id": "19x1"}
    )
    assert contact["account_id"] == acme["id"]
    store.delete(acme["id"])
    assert store.retrieve(contact["id"])["account_id"] == ""


@pytest.mark.parametrize(
    ("value", "exchange"),
    [
        ("12x6", "create_Contacts_bad_reference_wrong_module"),
        ("abc", "create_Contacts_bad_reference_malformed"),
        ("2", "create_Contacts_bad_reference_plain_number"),
    ],
)
def test_invalid_references(store: Store, value: str, exchange: str) -> None:
    assert recorded_element(exchange)["account_id"] == value
    with raises_ws(*recorded_error(exchange)):
        store.create("Contacts", {"lastname": "BadRef", "account_id": value, "assigned_user_id": "19x1"})


def test_reference_with_unknown_prefix(store: Store) -> None:
    with raises_ws(*DENIED_FOR_ID):
        store.create("Contacts", {"lastname": "X", "account_id": "99x1", "assigned_user_id": "19x1"})


def test_invalid_reference_on_revise(store: Store, acme: dict[str, Any]) -> None:
    contact = store.create("Contacts", {"lastname": "Doe", "assigned_user_id": "19x1"})
    with raises_ws("REFERENCE_INVALID", "Invalid reference specified for account_id"):
        store.revise({"id": contact["id"], "account_id": contact["id"]})


def test_empty_reference_clears_under_revise(store: Store, acme: dict[str, Any]) -> None:
    contact = store.create(
        "Contacts", {"lastname": "Doe", "account_id": acme["id"], "assigned_user_id": "19x1"}
    )
    assert store.revise({"id": contact["id"], "account_id": ""})["account_id"] == ""
    assert store.retrieve(contact["id"])["account_id"] == ""


def test_empty_reference_is_ignored_by_update(store: Store, acme: dict[str, Any]) -> None:
    contact = store.create(
        "Contacts", {"lastname": "Doe", "account_id": acme["id"], "assigned_user_id": "19x1"}
    )
    updated = store.update({**contact, "account_id": "", "title": "CEO"})
    assert updated["account_id"] == acme["id"]
    assert updated["title"] == "CEO"


def test_empty_reference_is_dropped_on_create(store: Store) -> None:
    assert (
        store.create("Contacts", {"lastname": "Doe", "account_id": "", "assigned_user_id": "19x1"})[
            "account_id"
        ]
        == ""
    )


# ---------------------------------------------------------------------------------------- update / revise


def test_update_requires_every_mandatory_field(store: Store) -> None:
    store.create("Accounts", {"accountname": "Acme Corp", "assigned_user_id": "19x1"})
    globex = store.create("Accounts", {"accountname": "Globex Inc", "assigned_user_id": "19x1"})
    exchange = recorded("update_partial_element_only_id_and_phone")
    element = json.loads(exchange["params"]["element"])
    assert element == {"id": "11x3", "phone": "555-1234"} and globex["id"] == "11x3"
    with raises_ws(*recorded_error("update_partial_element_only_id_and_phone")):
        store.update(element)
    assert store.retrieve("11x3")["phone"] == recorded("retrieve_acc2_after_partial_update")["response_json"]["result"]["phone"] == ""  # fmt: skip


@pytest.mark.parametrize(
    "exchange", ["update_missing_mandatory_accountname", "update_empty_mandatory_accountname"]
)
def test_update_missing_or_empty_mandatory_recordings(
    store: Store, acme: dict[str, Any], exchange: str
) -> None:
    with raises_ws(*recorded_error(exchange)):
        store.update(recorded_element(exchange))
    assert store.retrieve(acme["id"])["accountname"] == "Acme Corp"


def test_update_mandatory_order_reports_first_missing_field(store: Store, acme: dict[str, Any]) -> None:
    with raises_ws("MANDATORY_FIELDS_MISSING", "accountname does not have a value"):
        store.update({"id": acme["id"]})
    with raises_ws("MANDATORY_FIELDS_MISSING", "assigned_user_id does not have a value"):
        store.update({"id": acme["id"], "accountname": "Acme Corp"})


def test_update_keeps_omitted_fields(crm: CRM, store: Store, acme: dict[str, Any]) -> None:
    crm.clock.advance(10)
    updated = store.update(
        {"id": acme["id"], "accountname": "Acme Corp", "assigned_user_id": "19x1", "website": "w"}
    )
    assert updated["phone"] == "555-0100"
    assert updated["website"] == "w"
    assert updated["account_no"] == acme["account_no"]
    assert updated["createdtime"] == acme["createdtime"]
    assert updated["modifiedtime"] == format_epoch(START_EPOCH + 10)
    assert store.retrieve(acme["id"]) == updated


def test_update_zero_counts_as_a_value(store: Store, acme: dict[str, Any]) -> None:
    updated = store.update({"id": acme["id"], "accountname": "0", "assigned_user_id": "19x1"})
    assert updated["accountname"] == "0"


def test_revise_checks_only_supplied_mandatory_fields(store: Store, acme: dict[str, Any]) -> None:
    revised = store.revise({"id": acme["id"], "phone": "555-7777"})
    assert revised["phone"] == "555-7777"
    assert revised["accountname"] == "Acme Corp"
    with raises_ws(*recorded_error("revise_Accounts_empty_mandatory")):
        store.revise({"id": acme["id"], "accountname": ""})
    with raises_ws("MANDATORY_FIELDS_MISSING", "assigned_user_id does not have a value"):
        store.revise({"id": acme["id"], "assigned_user_id": None})
    assert store.retrieve(acme["id"])["phone"] == "555-7777"


@pytest.mark.parametrize("mode", ["update", "revise"])
def test_update_and_revise_without_an_id(store: Store, mode: str) -> None:
    element = {"accountname": "A", "assigned_user_id": "19x1"}
    with raises_ws(*DENIED_FOR_ID):
        getattr(store, mode)(element)
    with raises_ws(*DENIED_FOR_ID):
        getattr(store, mode)(None)


def test_revise_with_a_non_object_element(store: Store) -> None:
    with raises_ws("MANDATORY_FIELDS_MISSING", "Mandatory field does not have a value"):
        store.revise("just a string")


# ---------------------------------------------------------------------------------------- id checks


@pytest.mark.parametrize(
    ("ws_id", "expected"),
    [
        ("11x999999", DENIED),  # retrieve_nonexistent
        ("abc", DENIED_FOR_ID),  # retrieve_malformed_abc
        ("11x", DENIED),  # retrieve_malformed_11x
        ("x5", DENIED_FOR_ID),  # retrieve_malformed_x5
        ("11xabc", DENIED),  # retrieve_malformed_11xabc
        ("99x1", DENIED_FOR_ID),  # retrieve_unknown_prefix_99x1
        ("2", DENIED),  # retrieve_numeric_only
        ("", DENIED_FOR_ID),
        (None, DENIED_FOR_ID),
        ("12x2", INVALID_ID),  # retrieve_wrong_prefix_account_id_with_contacts_prefix
        ("10x2", INVALID_ID),  # retrieve_wrong_prefix_account_id_with_leads_prefix
    ],
)
def test_id_resolution_errors(
    store: Store, acme: dict[str, Any], ws_id: str | None, expected: tuple[str, str]
) -> None:
    assert acme["id"] == "11x2"
    for operation in (store.retrieve, store.delete, lambda i: store.revise({"id": i, "phone": "1"})):
        with raises_ws(*expected):
            operation(ws_id)
    assert store.retrieve("11x2")["phone"] == "555-0100"


def test_id_errors_match_the_recordings() -> None:
    for name, expected in [
        ("retrieve_nonexistent", DENIED),
        ("retrieve_malformed_abc", DENIED_FOR_ID),
        ("retrieve_malformed_11x", DENIED),
        ("retrieve_malformed_x5", DENIED_FOR_ID),
        ("retrieve_malformed_11xabc", DENIED),
        ("retrieve_unknown_prefix_99x1", DENIED_FOR_ID),
        ("retrieve_numeric_only", DENIED),
        ("retrieve_wrong_prefix_account_id_with_contacts_prefix", INVALID_ID),
        ("delete_wrong_prefix", INVALID_ID),
        ("update_wrong_prefix_id", INVALID_ID),
        ("revise_nonexistent", DENIED),
    ]:
        assert recorded_error(name) == expected, name


def test_tasks_are_9x_and_events_18x(store: Store) -> None:
    task = store.create(
        "Calendar",
        {"subject": "T", "date_start": "2026-12-01", "due_date": "2026-12-01", "time_start": "10:00",
         "taskstatus": "Not Started", "activitytype": "Task", "assigned_user_id": "19x1"},
    )  # fmt: skip
    event = store.create(
        "Events",
        {"subject": "E", "date_start": "2026-12-01", "due_date": "2026-12-01", "time_start": "10:00:00",
         "time_end": "11:00:00", "duration_hours": "1", "eventstatus": "Planned", "activitytype": "Meeting",
         "assigned_user_id": "19x1"},
    )  # fmt: skip
    task_id = task["id"].split("x")[1]
    event_id = event["id"].split("x")[1]
    assert (task["id"], event["id"]) == (f"9x{task_id}", f"18x{event_id}")
    assert store.retrieve(f"9x{task_id}")["subject"] == "T"
    assert store.retrieve(f"18x{event_id}")["subject"] == "E"
    with raises_ws(*INVALID_ID):
        store.retrieve(f"18x{task_id}")
    with raises_ws(*INVALID_ID):
        store.retrieve(f"9x{event_id}")
    with raises_ws(*INVALID_ID):
        store.delete(f"9x{event_id}")


# ---------------------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize("name", ["Acme Corp", "Acme Corp   "])
def test_duplicate_account_name_on_create(store: Store, acme: dict[str, Any], name: str) -> None:
    assert recorded_error("create_Accounts_duplicate_name") == DUPLICATE
    with raises_ws(*DUPLICATE):
        store.create("Accounts", {"accountname": name, "assigned_user_id": "19x1"})


@pytest.mark.parametrize("name", ["acme corp", "ACME CORP", "aCmE cOrP "])
def test_duplicate_account_name_ignores_case(store: Store, acme: dict[str, Any], name: str) -> None:
    with raises_ws(*DUPLICATE):
        store.create("Accounts", {"accountname": name, "assigned_user_id": "19x1"})


@pytest.mark.parametrize(
    "name", [" Acme Corp", "Acme  Corp", "Acme Corp Ltd", "Acme Cor", "Acme Corp\t", "Acme Corp\n"]
)
def test_similar_account_names_are_not_duplicates(store: Store, acme: dict[str, Any], name: str) -> None:
    assert store.create("Accounts", {"accountname": name, "assigned_user_id": "19x1"})["accountname"] == name


def test_duplicate_on_revise_and_update_of_another_record(store: Store, acme: dict[str, Any]) -> None:
    other = store.create("Accounts", {"accountname": "Globex", "assigned_user_id": "19x1"})
    with raises_ws(*DUPLICATE):
        store.revise({"id": other["id"], "accountname": "Acme Corp"})
    with raises_ws(*DUPLICATE):
        store.update({"id": other["id"], "accountname": "Acme Corp ", "assigned_user_id": "19x1"})
    assert store.retrieve(other["id"])["accountname"] == "Globex"


def test_duplicate_on_revise_ignores_case(store: Store, acme: dict[str, Any]) -> None:
    other = store.create("Accounts", {"accountname": "Globex", "assigned_user_id": "19x1"})
    with raises_ws(*DUPLICATE):
        store.revise({"id": other["id"], "accountname": "ACME CORP"})


def test_a_record_is_not_its_own_duplicate(store: Store, acme: dict[str, Any]) -> None:
    assert store.revise({"id": acme["id"], "accountname": "ACME CORP"})["accountname"] == "ACME CORP"
    assert store.revise({"id": acme["id"], "phone": "2"})["phone"] == "2"


def test_deleted_accounts_do_not_count_as_duplicates(store: Store, acme: dict[str, Any]) -> None:
    store.delete(acme["id"])
    assert store.create("Accounts", {"accountname": "Acme Corp", "assigned_user_id": "19x1"})["id"] == "11x3"


def test_other_modules_allow_duplicates(store: Store) -> None:
    first = store.create("Contacts", {"lastname": "Doe", "assigned_user_id": "19x1"})
    second = store.create("Contacts", {"lastname": "Doe", "assigned_user_id": "19x1"})
    assert first["id"] != second["id"]


# ---------------------------------------------------------------------------------------- delete


def test_delete_is_soft_and_stamps_modifiedtime(crm: CRM, store: Store, acme: dict[str, Any]) -> None:
    crm.clock.advance(120)
    store.delete(acme["id"])
    record_id = int(acme["id"].split("x")[1])
    table = crm.db.table_for(crm.modules["Accounts"])
    with crm.db.engine.connect() as conn:
        row = conn.execute(sa.select(table).where(table.c.crmid == record_id)).mappings().one()
        entity = (
            conn.execute(sa.select(crm.db.crmentity).where(crm.db.crmentity.c.crmid == record_id))
            .mappings()
            .one()
        )
    assert row[DELETED] == 1
    assert row["accountname"] == "Acme Corp"  # the data is still there
    assert entity["deleted"] == 1
    assert entity["modifiedtime"] == format_epoch(START_EPOCH + 120)


@pytest.mark.parametrize(
    "exchange", ["delete_Accounts_twice", "retrieve_deleted_record", "revise_deleted_record"]
)
def test_deleted_record_is_access_denied(store: Store, acme: dict[str, Any], exchange: str) -> None:
    assert recorded_error(exchange) == DENIED
    store.delete(acme["id"])
    with raises_ws(*DENIED):
        store.delete(acme["id"])
    with raises_ws(*DENIED):
        store.retrieve(acme["id"])
    with raises_ws(*DENIED):
        store.revise({"id": acme["id"], "phone": "1"})
    with raises_ws(*DENIED):
        store.update({"id": acme["id"], "accountname": "X", "assigned_user_id": "19x1"})


def test_delete_leaves_other_records_alone(store: Store, acme: dict[str, Any]) -> None:
    other = store.create("Accounts", {"accountname": "Other", "assigned_user_id": "19x1"})
    store.delete(acme["id"])
    assert store.retrieve(other["id"]) == other
