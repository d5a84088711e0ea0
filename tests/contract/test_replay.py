"""Replays the real Vtiger 8.2.0 recordings (shared/reference) against the emulator, in order."""

from __future__ import annotations

import pytest

from tests.contract.replay import REFERENCE, Replayer, ReplayReport

pytestmark = pytest.mark.skipif(
    not (REFERENCE / "transcript.jsonl").exists(), reason="shared/reference recordings not present"
)

# Operations of the core (wire protocol, auth, metadata, CRUD) and of VTQL.
CORE = {"getchallenge", "login", "logout", "extendsession", "listtypes", "describe"}
CRUD = {"create", "retrieve", "update", "revise", "delete"}
QUERY = {"query"}
REST = {
    "sync",
    "relatedtypes",
    "retrieve_related",
    "query_related",
    "add_related",
    "retrieve_inventory",
    "convertlead",
    "files_retrieve",
}


@pytest.fixture(scope="module")
def report() -> ReplayReport:
    return Replayer().run()


def _explain(report: ReplayReport, operations: set[str]) -> str:
    lines = []
    for outcome in report.failures(operations):
        lines.append(f"{outcome.name}: {'; '.join(outcome.differences[:2])}"[:300])
    return "\n".join(lines)


@pytest.mark.parametrize("operation", sorted(CORE | CRUD))
def test_core_operation_matches_real_vtiger(report: ReplayReport, operation: str) -> None:
    assert report.rate({operation}) >= 0.85, _explain(report, {operation})


def test_core_and_crud_match_rate_is_at_least_95_percent(report: ReplayReport) -> None:
    assert report.rate(CORE | CRUD) >= 0.95, _explain(report, CORE | CRUD)


def test_query_match_rate(report: ReplayReport) -> None:
    assert report.rate(QUERY) >= 0.95, _explain(report, QUERY)


def test_sync_relations_inventory_leads_files_match_rate_is_at_least_95_percent(report: ReplayReport) -> None:
    assert report.rate(REST) >= 0.95, _explain(report, REST)


def test_unknown_operations_answer_http_500_like_php(report: ReplayReport) -> None:
    unknown = [o for o in report.outcomes if o.operation in {"(none)", "foobar"}]
    assert unknown and all(o.matched for o in unknown)
