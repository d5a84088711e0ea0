"""GET /_mock/health, the admin token, --no-admin, and JSON errors for anything else."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.admin.conftest import Ws, account, make_app, result
from vtiger_mock import __version__


def test_health_reports_status_version_profile_and_counts(client: TestClient, web: Ws) -> None:
    health = client.get("/_mock/health").json()
    assert health["status"] == "ok"
    assert health["version"] == __version__
    assert health["profile"] == "vtiger-8.2"
    assert health["vtiger_version"] == "8.2.0"
    assert health["database"] == "memory"
    assert health["total_records"] == 0 and health["users"] == 1
    web.login()
    result(web.create("Accounts", account("One")))
    result(web.create("Contacts", {"lastname": "Two", "assigned_user_id": "19x1"}))
    health = client.get("/_mock/health").json()
    assert health["records"] == {"Accounts": 1, "Contacts": 1}
    assert health["total_records"] == 2


def test_index_lists_the_endpoints(client: TestClient) -> None:
    endpoints = client.get("/_mock").json()["endpoints"]
    assert "POST /_mock/reset" in endpoints
    assert "PUT /_mock/clock" in endpoints
    assert "POST /_mock/snapshots/{name}/restore" in endpoints


def test_unknown_admin_paths_and_methods_answer_json(client: TestClient) -> None:
    response = client.get("/_mock/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.delete("/_mock/clock")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    # Outside /_mock/ the emulator stays a plain web server.
    assert client.get("/elsewhere").status_code == 404


def test_admin_token_is_required_when_configured() -> None:
    with TestClient(make_app(admin_token="s3cret")) as client:
        denied = client.post("/_mock/reset")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"] == "Bearer"
        assert denied.json()["error"]["code"] == "unauthorized"
        assert client.post("/_mock/reset", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.post("/_mock/reset", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        # Health answers anyone (container health checks), the details only with the token.
        assert client.get("/_mock/health").json() == {"status": "ok", "version": __version__}
        detailed = client.get("/_mock/health", headers={"Authorization": "bearer s3cret"}).json()
        assert detailed["profile"] == "vtiger-8.2"
        # The webservice itself never asks for the admin token.
        assert Ws(client).login()


def test_no_admin_leaves_only_a_bare_health() -> None:
    with TestClient(make_app(admin_enabled=False)) as client:
        assert client.get("/_mock/health").json() == {"status": "ok", "version": __version__}
        for method, path in (("POST", "/_mock/reset"), ("GET", "/_mock/requests"), ("PUT", "/_mock/clock")):
            assert client.request(method, path).status_code == 404
        assert Ws(client).login()
