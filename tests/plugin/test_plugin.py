"""The pytest plugin, tested as users meet it: test files run by pytester in a fresh session."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

# The README's sample: a client under contract test against the emulator (keep the two in step).
README_SAMPLE = '''
import hashlib
import json

import httpx
import pytest


def create_account(base_url, username, access_key, name):
    """The client under test: log in, create an Organization, return its id."""
    with httpx.Client() as http:
        challenge = http.get(base_url, params={"operation": "getchallenge", "username": username}).json()
        key = hashlib.md5((challenge["result"]["token"] + access_key).encode()).hexdigest()
        login = http.post(base_url, data={"operation": "login", "username": username, "accessKey": key}).json()
        element = json.dumps({"accountname": name, "assigned_user_id": login["result"]["userId"]})
        reply = http.post(base_url, data={"operation": "create", "sessionName": login["result"]["sessionName"],
                                          "elementType": "Accounts", "element": element}).json()
    if not reply["success"]:
        raise RuntimeError(reply["error"]["code"])
    return reply["result"]["id"]


def test_create_sends_a_form_post(vtiger_mock):
    record_id = create_account(vtiger_mock.base_url, vtiger_mock.username, vtiger_mock.access_key, "Acme")

    assert record_id.startswith("11x")
    [create] = vtiger_mock.requests(operation="create")
    assert create["method"] == "POST" and create["query_params"] == []
    assert {"sessionName", "elementType", "element"} <= set(create["body_params"])


def test_create_reports_vtiger_errors(vtiger_mock):
    vtiger_mock.add_fault("create", error="ACCESS_DENIED", times=1)

    with pytest.raises(RuntimeError, match="ACCESS_DENIED"):
        create_account(vtiger_mock.base_url, vtiger_mock.username, vtiger_mock.access_key, "Acme")
'''


def test_readme_sample_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_client=README_SAMPLE)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_server_is_reset_before_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_reset=textwrap.dedent(
            """
            import json
            import urllib.parse
            import urllib.request

            import pytest


            def call(mock, method, **params):
                data = urllib.parse.urlencode(params).encode()
                if method == "GET":
                    with urllib.request.urlopen(mock.base_url + "?" + data.decode()) as r:
                        return json.loads(r.read())
                with urllib.request.urlopen(mock.base_url, data=data) as r:
                    return json.loads(r.read())


            def test_first_creates_a_record(vtiger_mock):
                assert vtiger_mock.base_url.startswith("http://127.0.0.1:")
                assert vtiger_mock.base_url.endswith("/webservice.php")
                assert (vtiger_mock.username, vtiger_mock.access_key) == ("admin", "vtigerMockAdmin1")
                session = vtiger_mock.login()
                element = json.dumps({"accountname": "Acme", "assigned_user_id": "19x1"})
                answer = call(vtiger_mock, "POST", operation="create", sessionName=session,
                              elementType="Accounts", element=element)
                assert answer["result"]["id"] == "11x2"
                vtiger_mock.freeze_clock(1_700_000_000)
                vtiger_mock.add_fault("describe", error=True)


            def test_second_sees_a_fresh_install(vtiger_mock):
                assert vtiger_mock.health()["total_records"] == 0
                assert vtiger_mock.clock()["frozen"] is False
                assert vtiger_mock.faults() == []
                assert vtiger_mock.requests() == []
                session = vtiger_mock.login()
                assert call(vtiger_mock, "GET", operation="query", sessionName=session,
                            query="select count(*) from Accounts;")["result"] == [{"count": "0"}]


            @pytest.mark.vtiger_mock(reset=False)
            def test_third_opts_out_of_the_reset(vtiger_mock):
                assert len(vtiger_mock.requests(operation="login")) == 1  # the second test's login


            def test_tests_without_the_fixture_are_left_alone():
                pass
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=4)


def test_admin_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_helpers=textwrap.dedent(
            """
            def test_clock_snapshots_users_seed_dump(vtiger_mock):
                assert vtiger_mock.freeze_clock("2024-01-01T00:00:00Z")["epoch"] == 1_704_067_200
                assert vtiger_mock.advance_clock(301)["epoch"] == 1_704_067_501
                assert vtiger_mock.real_clock()["frozen"] is False

                assert vtiger_mock.seed(scale=3, modules=["Accounts"])["total"] == 3
                vtiger_mock.snapshot("three")
                vtiger_mock.seed({"Accounts": [{"accountname": "Fourth"}]})
                assert vtiger_mock.health()["total_records"] == 4
                vtiger_mock.restore("three")
                assert [s["name"] for s in vtiger_mock.snapshots()] == ["three"]
                assert len(vtiger_mock.dump(["Accounts"])["Accounts"]) == 3
                vtiger_mock.delete_snapshot("three")

                user = vtiger_mock.create_user("agent", first_name="Ann")
                assert vtiger_mock.login("agent", user["access_key"])
                assert [u["user_name"] for u in vtiger_mock.users()] == ["admin", "agent"]

                rule = vtiger_mock.add_fault(["query", "retrieve"], http_status=503, probability=0.5, seed=3)
                assert rule["operation"] == ["query", "retrieve"] and rule["seed"] == 3
                vtiger_mock.remove_fault(rule["id"])
                assert vtiger_mock.clear_requests() >= 1


            def test_admin_errors_raise(vtiger_mock):
                import pytest
                from vtiger_mock.admin.client import AdminAPIError

                with pytest.raises(AdminAPIError) as error:
                    vtiger_mock.restore("missing")
                assert error.value.status == 404 and error.value.code == "not_found"
            """
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_in_process_app_with_httpx(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_asgi=textwrap.dedent(
            """
            import asyncio

            import httpx


            async def challenge(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://vtiger") as http:
                    reply = await http.get("/webservice.php", params={"operation": "getchallenge", "username": "admin"})
                    await http.post("/_mock/snapshots/s1")
                    return reply.json()


            def test_first(vtiger_mock_app):
                assert asyncio.run(challenge(vtiger_mock_app))["success"] is True
                assert len(vtiger_mock_app.state.control.journal.entries()) == 1


            def test_second_is_reset(vtiger_mock_app):
                assert vtiger_mock_app.state.control.journal.entries() == []
                assert vtiger_mock_app.state.control.snapshots()[0]["name"] == "s1"  # snapshots are kept
            """
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_ini_options_and_settings_override(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        vtiger_mock_seed_data = demo
        vtiger_mock_seed = 7
        """
    )
    pytester.makepyfile(
        test_demo=textwrap.dedent(
            """
            def test_demo_is_loaded(vtiger_mock):
                health = vtiger_mock.health()
                assert health["records"]["Accounts"] == 50 and health["seed"] == 7
                assert vtiger_mock.login("sarah.lee", "demoSarahLee0001")
            """
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    pytester.makeconftest(
        """
        import pytest
        from vtiger_mock.settings import Settings

        @pytest.fixture(scope="session")
        def vtiger_mock_settings():
            return Settings(admin_access_key="MyOwnKey12345678", admin_token="tok")
        """
    )
    pytester.makepyfile(
        test_demo=textwrap.dedent(
            """
            def test_own_settings(vtiger_mock):
                assert vtiger_mock.access_key == "MyOwnKey12345678"
                assert vtiger_mock.login()
                assert vtiger_mock.health()["total_records"] == 0  # the client sends the token
            """
        )
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_bad_seed_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nvtiger_mock_seed = seven\n")
    pytester.makepyfile(test_x="def test_x(vtiger_mock):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert "vtiger_mock_seed must be an integer" in result.stdout.str() + result.stderr.str()
