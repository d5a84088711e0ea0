"""A sync client that pages with lastModifiedTime until `more` is false sees every change exactly
once: random creates / revises / deletes (and lead conversions) on a few modules, on a frozen clock
moved by random steps (often none, so many writes share a second), then paging from the start.

The page window (100 change times in Vtiger) is drawn small so that pages end mid-sequence."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from tests.conftest import START_EPOCH
from vtiger_mock.crm.records import Actor
from vtiger_mock.crm.state import CRM

MODULES: dict[str, dict[str, Any]] = {
    "Accounts": {"assigned_user_id": "19x1"},
    "Contacts": {"lastname": "Doe", "assigned_user_id": "19x1"},
    "Leads": {"lastname": "Lead", "company": "LeadCo", "assigned_user_id": "19x1"},
}

# (action, module, which existing record, clock step): the record index wraps around.
steps = st.lists(
    st.tuples(
        st.sampled_from(["create", "create", "revise", "delete", "convert"]),
        st.sampled_from(sorted(MODULES)),
        st.integers(min_value=0, max_value=1000),
        st.sampled_from([0, 0, 0, 1, 2, 3600]),
    ),
    max_size=30,
)


def _write(crm: CRM, conn: Connection, actor: Actor, plan: list[tuple[str, str, int, int]]) -> dict[str, str]:
    """Runs the plan; returns ws id → "live" / "deleted" for every record it created."""
    state: dict[str, str] = {}
    counter = 0
    for action, module_name, pick, step in plan:
        crm.clock.advance(step)
        module = crm.modules[module_name]
        live = sorted(i for i, s in state.items() if s == "live" and i.startswith(module.ws_prefix))
        if action == "create" or not live:
            counter += 1
            element = dict(MODULES[module_name])
            if module_name == "Accounts":
                element["accountname"] = f"Account {counter}"  # Accounts refuse duplicate names
            record = crm.records.create(conn, module, element, actor)
            state[str(record["id"])] = "live"
        elif action == "convert":
            if module_name != "Leads":
                continue
            target = live[pick % len(live)]
            counter += 1
            entities = {
                "Accounts": {"create": True, "name": "Accounts", "accountname": f"Converted {counter}"},
                "Contacts": {"create": True, "name": "Contacts", "lastname": "Converted"},
            }
            created = crm.leads.convert(conn, {"leadId": target, "entities": entities}, actor) or {}
            state.update({str(ws_id): "live" for ws_id in created.values()})
            state[target] = "deleted"  # a converted lead counts as deleted
        elif action == "revise":
            crm.records.update(
                conn, {"id": live[pick % len(live)], "description": f"v{counter}"}, actor, "revise"
            )
            counter += 1
        else:
            target = live[pick % len(live)]
            crm.records.delete(conn, target, actor)
            state[target] = "deleted"
    return state


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plan=steps, window=st.integers(min_value=1, max_value=6))
def test_paging_sees_every_change_exactly_once(
    crm: CRM, plan: list[tuple[str, str, int, int]], window: int
) -> None:
    with crm.db.transaction("write") as conn:
        ent = crm.db.crmentity
        conn.execute(ent.delete())  # hypothesis reuses the fixture: start from an empty CRM
        for module_name in MODULES:
            conn.execute(crm.db.table_for(crm.modules[module_name]).delete())
        crm.clock.freeze(START_EPOCH)
        actor = crm.auth.actor(conn, 1)
        assert actor is not None
        state = _write(crm, conn, actor, plan)

        modules = [crm.modules[name] for name in MODULES]
        tracker = crm.changes
        seen: Counter[str] = Counter()
        updated: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        since, pages = 0, 0
        while True:
            page = tracker.page(conn, modules, since, [actor.id], window=window)
            pages += 1
            assert pages <= len(plan) + 1, "paging does not terminate"
            for row in page.updated:
                seen[row["id"]] += 1
                updated[row["id"]] = row
            for ws_id in page.deleted:
                seen[ws_id] += 1
                deleted.add(ws_id)
            assert page.last_modified >= since
            since = page.last_modified
            if not page.more:
                break

        assert all(n == 1 for n in seen.values()), "a change came back twice"
        assert deleted == {i for i, s in state.items() if s == "deleted"}
        assert set(updated) == {i for i, s in state.items() if s == "live"}
        for ws_id, row in updated.items():  # each live record in its latest version
            module, record_id = crm.records.locate(conn, ws_id)
            stored = crm.records.fetch_row(conn, module, record_id)
            assert stored is not None and row == crm.records.render(conn, module, [stored])[0]
