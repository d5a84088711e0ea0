"""Documents uploads + files_retrieve, convertlead, changePassword / deleteUser, through the app."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from vtiger_mock.app import build_app
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.crm.state import CRM
from vtiger_mock.crm.users import hash_password
from vtiger_mock.settings import Settings

KEY = "testAccessKey123"


class Client:
    def __init__(self, http: TestClient, username: str = "admin", key: str = KEY) -> None:
        self.http = http
        token = self.get("getchallenge", username=username)["result"]["token"]
        login = self.post("login", username=username, accessKey=md5_hex(token + key))
        self.session = login["result"]["sessionName"]

    def get(self, operation: str, **params: str) -> Any:
        return self.http.get("/webservice.php", params={"operation": operation, **params}).json()

    def post(self, operation: str, files: Any = None, **params: str) -> Any:
        data = {"operation": operation, **params}
        return self.http.post("/webservice.php", data=data, files=files).json()

    def call(self, operation: str, method: str = "POST", **params: Any) -> Any:
        encoded = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
        if method == "GET":
            return self.get(operation, sessionName=self.session, **encoded)
        return self.post(operation, sessionName=self.session, **encoded)

    def ok(self, operation: str, method: str = "POST", **params: Any) -> Any:
        answer = self.call(operation, method, **params)
        assert answer["success"], answer
        return answer["result"]


@pytest.fixture
def crm() -> CRM:
    crm = CRM(Settings().profile_dir, admin_access_key=KEY)
    crm.initialize()
    return crm


@pytest.fixture
def client(crm: CRM) -> Iterator[Client]:
    with TestClient(build_app(Settings(admin_access_key=KEY), crm=crm)) as http:
        yield Client(http)


# ---------------------------------------------------------------- Documents and files


def test_multipart_document_upload_fills_file_fields_and_files_retrieve_returns_the_bytes(
    client: Client, crm: CRM
) -> None:
    payload = b"%PDF-1.4 fake pdf \x00\x01\x02"
    element = {
        "notes_title": "Contract",
        "assigned_user_id": "19x1",
        "folderid": "22x1",
        "filelocationtype": "I",
    }
    answer = client.post(
        "create",
        files={"filename": ("contract.pdf", payload, "application/pdf")},
        sessionName=client.session,
        elementType="Documents",
        element=json.dumps(element),
    )
    assert answer["success"], answer
    doc = answer["result"]
    assert doc["filename"] == "contract.pdf"
    assert doc["filesize"] == str(len(payload))
    assert doc["filetype"] == "application/pdf"
    assert doc["filelocationtype"] == "I"
    doc_id = int(doc["id"].split("x")[1])
    with crm.db.engine.connect() as conn:
        attachment_ids = crm.files.ids_by_record(conn, [doc_id])[doc_id]
    # Retrieve lists the attachment ids of modules with file fields (DataTransform).
    retrieved = client.ok("retrieve", "GET", id=doc["id"])
    assert retrieved["imageattachmentids"] == f"15x{attachment_ids[0]}"
    assert list(retrieved)[-3:] == ["id", "imageattachmentids", "label"]
    files = client.ok("files_retrieve", "GET", id=retrieved["imageattachmentids"])
    assert files == [
        {
            "fileid": str(attachment_ids[0]),
            "filename": "contract.pdf",
            "filetype": "application/pdf",
            "filesize": len(payload),
            "filecontents": base64.b64encode(payload).decode(),
        }
    ]


def test_files_retrieve_errors(client: Client) -> None:
    external = client.ok(
        "create",
        elementType="Documents",
        element={
            "notes_title": "Link",
            "assigned_user_id": "19x1",
            "filelocationtype": "E",
            "filename": "http://x/y",
        },
    )
    # A document id is not an attachment id (FileRetrieve.php looks up attachments only).
    missing = client.call("files_retrieve", "GET", id=external["id"])
    assert missing["error"] == {
        "message": "Record you are trying to access is not found",
        "code": "RECORD_NOT_FOUND",
    }
    assert client.call("files_retrieve", "GET")["error"]["code"] == "RECORD_NOT_FOUND"


def test_files_of_a_deleted_document_are_gone(client: Client, crm: CRM) -> None:
    answer = client.post(
        "create",
        files={"filename": ("a.txt", b"hello", "text/plain")},
        sessionName=client.session,
        elementType="Documents",
        element=json.dumps({"notes_title": "A", "assigned_user_id": "19x1"}),
    )
    doc_id = answer["result"]["id"]
    with crm.db.engine.connect() as conn:
        attachment = crm.files.ids_by_record(conn, [int(doc_id.split("x")[1])])
    (att,) = next(iter(attachment.values()))
    assert (
        client.ok("files_retrieve", "GET", id=f"15x{att}")[0]["filecontents"]
        == base64.b64encode(b"hello").decode()
    )
    assert client.call("files_retrieve", "GET", id=f"12x{att}")["error"]["code"] == "INVALID_ID_ATTRIBUTE"
    client.ok("delete", id=doc_id)
    assert client.call("files_retrieve", "GET", id=f"15x{att}")["error"]["code"] == "RECORD_NOT_FOUND"


# ---------------------------------------------------------------- convertlead


def _lead(client: Client, **extra: str) -> str:
    values = {
        "lastname": "Lead",
        "company": "LeadCo",
        "assigned_user_id": "19x1",
        "email": "l@leadco.example",
    }
    return str(client.ok("create", elementType="Leads", element={**values, **extra})["id"])


def test_convertlead_creates_linked_account_contact_potential_and_hides_the_lead(client: Client) -> None:
    lead_id = _lead(client, city="Springfield", firstname="Larry")
    element = {
        "leadId": lead_id,
        "assignedTo": "19x1",
        "entities": {
            "Accounts": {"create": True, "name": "Accounts", "accountname": "LeadCo"},
            "Contacts": {"create": True, "name": "Contacts", "lastname": "Lead"},
            "Potentials": {
                "create": True,
                "name": "Potentials",
                "potentialname": "LeadCo deal",
                "closingdate": "2026-12-31",
                "sales_stage": "Prospecting",
            },
        },
    }
    result = client.ok("convertlead", element=element)
    assert list(result) == ["Accounts", "Contacts", "Potentials"]
    account = client.ok("retrieve", "GET", id=result["Accounts"])
    contact = client.ok("retrieve", "GET", id=result["Contacts"])
    potential = client.ok("retrieve", "GET", id=result["Potentials"])
    assert account["accountname"] == "LeadCo" and account["isconvertedfromlead"] == "1"
    assert account["bill_city"] == "Springfield"  # mapped from the lead
    assert contact["account_id"] == result["Accounts"] and contact["firstname"] == "Larry"
    assert potential["related_to"] == result["Accounts"] and potential["contact_id"] == result["Contacts"]
    # The lead is invisible to query but still retrievable; a second conversion is refused.
    assert client.ok("query", "GET", query=f"select id from Leads where id = {lead_id};") == []
    assert client.ok("retrieve", "GET", id=lead_id)["id"] == lead_id
    again = client.call("convertlead", element=element)
    assert again["error"] == {"message": "Lead is already converted", "code": "LEAD_ALREADY_CONVERTED"}


def test_convertlead_reuses_an_existing_account_and_needs_accounts_or_contacts(client: Client) -> None:
    existing = client.ok(
        "create", elementType="Accounts", element={"accountname": "LeadCo", "assigned_user_id": "19x1"}
    )
    lead_id = _lead(client)
    nothing = client.ok(
        "convertlead", element={"leadId": lead_id, "entities": {"Potentials": {"create": True}}}
    )
    assert nothing is None
    result = client.ok(
        "convertlead",
        element={
            "leadId": lead_id,
            "entities": {"Accounts": {"create": True, "name": "Accounts", "accountname": "LeadCo"}},
        },
    )
    assert result == {"Accounts": existing["id"]}


def test_convertlead_with_a_bad_lead_id(client: Client) -> None:
    assert client.call("convertlead", element={"entities": {}})["error"]["code"] == "ACCESS_DENIED"
    assert client.call("convertlead", element={"leadId": "10x999999"})["error"]["code"] == "ACCESS_DENIED"


# ---------------------------------------------------------------- users


def _add_user(crm: CRM, user_id: int, name: str, key: str, password: str, admin: bool = False) -> None:
    record = {
        "id": f"19x{user_id}",
        "user_name": name,
        "last_name": name.title(),
        "email1": f"{name}@example.com",
        "status": "Active",
        "is_admin": "on" if admin else "off",
        "accesskey": key,
        "user_password": hash_password(password),
    }
    with crm.db.transaction("write") as conn:
        crm.load_records(conn, {"Users": [record]})


def test_change_password_rules(client: Client, crm: CRM) -> None:
    _add_user(crm, 5, "jdoe", "jdoeAccessKey123", "Old@pass1")
    user = Client(client.http, "jdoe", "jdoeAccessKey123")
    weak = user.call(
        "changePassword", id="19x5", oldPassword="Old@pass1", newPassword="weak", confirmPassword="weak"
    )
    assert (
        weak["error"]["code"] == "CHANGE_PASSWORD_FAILURE" and "strong password" in weak["error"]["message"]
    )
    wrong_old = user.call(
        "changePassword",
        id="19x5",
        oldPassword="nope",
        newPassword="New@pass22",
        confirmPassword="New@pass22",
    )
    assert wrong_old["error"] == {
        "message": "Invalid value given for old password.",
        "code": "INVALID_OLD_PASSWORD",
    }
    mismatch = user.call(
        "changePassword",
        id="19x5",
        oldPassword="Old@pass1",
        newPassword="New@pass22",
        confirmPassword="New@pass23",
    )
    assert mismatch["error"] == {"message": "Failed to change password", "code": "CHANGE_PASSWORD_FAILURE"}
    done = user.ok(
        "changePassword",
        id="19x5",
        oldPassword="Old@pass1",
        newPassword="New@pass22",
        confirmPassword="New@pass22",
    )
    assert done == {"message": "Changed password successfully"}
    # Someone else's password: nothing happens, and there is no answer.
    assert (
        user.ok(
            "changePassword",
            id="19x1",
            oldPassword="x",
            newPassword="New@pass22",
            confirmPassword="New@pass22",
        )
        is None
    )
    # The admin needs no old password.
    assert client.ok("changePassword", id="19x5", newPassword="Admin@set9", confirmPassword="Admin@set9")


def test_delete_user_transfers_records_to_the_new_owner(client: Client, crm: CRM) -> None:
    _add_user(crm, 5, "jdoe", "jdoeAccessKey123", "Old@pass1")
    account = client.ok(
        "create", elementType="Accounts", element={"accountname": "Owned", "assigned_user_id": "19x5"}
    )
    assert account["assigned_user_id"] == "19x5"
    user = Client(client.http, "jdoe", "jdoeAccessKey123")
    refused = user.call("deleteUser", id="19x5", newOwnerId="19x1")
    assert refused["error"]["code"] == "ACCESS_DENIED"
    assert client.ok("deleteUser", id="19x5", newOwnerId="19x1") == {"status": "successful"}
    assert client.ok("retrieve", "GET", id=account["id"])["assigned_user_id"] == "19x1"
    assert client.get("getchallenge", username="jdoe")["error"]["message"] == "username does not exists"
    # The deleted user's session still exists, but names nobody: not a valid caller any more.
    assert user.call("listtypes", "GET")["error"]["code"] == "AUTHENTICATION_REQUIRED"
    assert client.call("deleteUser", id="19x999", newOwnerId="19x1")["error"]["code"] == "ACCESS_DENIED"
