"""The admin API under /_mock/: JSON in, JSON out, a 4xx with a clear message for bad input.

Routes are built per app from its MockControl; nothing here holds state.  With an admin token,
every route but /_mock/health wants `Authorization: Bearer <token>` (health answers anyone, with
the details only for an authorised caller, so a container health check needs no secret).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vtiger_mock.admin.control import MockControl, parse_time
from vtiger_mock.admin.http import (
    AdminError,
    bad_request,
    boolean,
    check_keys,
    error_response,
    integer,
    json_body,
    not_found,
    number,
    ok,
    query_integer,
    query_number,
    text,
)
from vtiger_mock.crm.seeding import SeedDataError, check_fixture
from vtiger_mock.settings import Settings

PREFIX = "/_mock"
Handler = Callable[[Request], Awaitable[Response]]

_USER_FIELDS = {"first_name": "first_name", "last_name": "last_name", "email": "email1", "role": "roleid"}
_USER_KEYS = {"user_name", "access_key", "is_admin", "password", "status", "fields", *_USER_FIELDS}


def authorised(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _guard(handler: Handler, token: str | None, *, public: bool = False) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            if not public and not authorised(request, token):
                raise AdminError(
                    401, "unauthorized", "the admin API needs 'Authorization: Bearer <admin token>'"
                )
            return await handler(request)
        except AdminError as error:
            return error_response(error)

    return endpoint


def health_only_routes(control: MockControl) -> list[Route]:
    """With --no-admin: only a bare health answer, so container health checks keep working."""

    async def health(request: Request) -> Response:
        return ok(control.health(detailed=False))

    return [Route(f"{PREFIX}/health", health, methods=["GET"])]


def admin_routes(control: MockControl, settings: Settings) -> list[Route]:
    token = settings.admin_token

    # -------------------------------------------------------------- health and reset

    async def health(request: Request) -> Response:
        return ok(control.health(detailed=authorised(request, token)))

    async def index(request: Request) -> Response:
        listed = [(" ".join(sorted((r.methods or set()) - {"HEAD"})), r.path) for r in routes]
        return ok({"endpoints": [f"{methods} {path}" for methods, path in listed]})

    async def reset(request: Request) -> Response:
        await json_body(request, required=False)  # no options; a body, if any, must still be JSON
        return ok(control.reset())

    # -------------------------------------------------------------- snapshots

    async def snapshots(request: Request) -> Response:
        return ok({"snapshots": control.snapshots()})

    async def take_snapshot(request: Request) -> Response:
        return ok(control.snapshot(request.path_params["name"]), status=201)

    async def restore_snapshot(request: Request) -> Response:
        return ok(control.restore(request.path_params["name"]))

    async def delete_snapshot(request: Request) -> Response:
        return ok(control.delete_snapshot(request.path_params["name"]))

    # -------------------------------------------------------------- clock

    async def get_clock(request: Request) -> Response:
        return ok(control.clock_state())

    async def put_clock(request: Request) -> Response:
        data = await json_body(request)
        check_keys(data, {"freeze_at", "freeze", "advance", "real"}, "clock")
        if not data:
            raise bad_request(
                'expected {"freeze_at": <epoch>}, {"freeze": true}, {"advance": <seconds>} or {"real": true}'
            )
        real = boolean(data["real"], "real") if "real" in data else False
        freeze = boolean(data["freeze"], "freeze") if "freeze" in data else False
        if "freeze_at" in data and "freeze" in data:
            raise bad_request("give freeze_at or freeze, not both")
        freeze_at = None
        if data.get("freeze_at") is not None:
            value = data["freeze_at"]
            freeze_at = (
                number(value, "freeze_at")
                if isinstance(value, (int, float))
                else parse_time(value, "freeze_at")
            )
        advance = number(data["advance"], "advance") if data.get("advance") is not None else None
        if real and (freeze_at is not None or freeze):
            raise bad_request("real and freeze contradict each other")
        if not (real or freeze or freeze_at is not None or advance is not None):
            raise bad_request("nothing to do: real, freeze and advance are all off")
        return ok(control.set_clock(freeze_at=freeze_at, freeze=freeze, advance=advance, real=real))

    # -------------------------------------------------------------- journal

    async def get_requests(request: Request) -> Response:
        check_keys(dict(request.query_params), {"operation", "since", "after", "limit"}, "query parameter")
        since_raw = request.query_params.get("since")
        since = None
        if since_raw:
            since = (
                query_number(request, "since") if _is_number(since_raw) else parse_time(since_raw, "since")
            )
        entries = control.journal.entries(
            operation=request.query_params.get("operation") or None,
            since=since,
            after=query_integer(request, "after"),
            limit=query_integer(request, "limit"),
        )
        return ok({"requests": [e.to_json() for e in entries], "count": len(entries)})

    async def clear_requests(request: Request) -> Response:
        return ok({"cleared": control.journal.clear()})

    # -------------------------------------------------------------- faults

    async def get_faults(request: Request) -> Response:
        return ok({"faults": [r.to_json() for r in control.faults.rules()]})

    async def add_fault(request: Request) -> Response:
        rule = control.faults.add(await json_body(request), control.rng)
        return ok(rule.to_json(), status=201)

    async def clear_faults(request: Request) -> Response:
        return ok({"cleared": control.faults.clear()})

    async def delete_fault(request: Request) -> Response:
        raw = request.path_params["id"]
        if not raw.isdigit() or not control.faults.remove(int(raw)):
            raise not_found(f"no fault rule with id {raw!r}")
        return ok({"deleted": int(raw)})

    # -------------------------------------------------------------- users

    async def get_users(request: Request) -> Response:
        return ok({"users": control.users()})

    async def create_user(request: Request) -> Response:
        data = await json_body(request)
        check_keys(data, _USER_KEYS, "user")
        if "user_name" not in data:
            raise bad_request("user_name is required")
        user_name = text(data["user_name"], "user_name").strip()
        fields: dict[str, Any] = {}
        if data.get("fields") is not None:
            if not isinstance(data["fields"], dict):
                raise bad_request("fields must be an object of Users field name → value")
            fields.update(data["fields"])
        for key, field_name in _USER_FIELDS.items():
            if data.get(key) is not None:
                fields[field_name] = text(data[key], key, allow_empty=key == "first_name")
        if data.get("status") is not None:
            if data["status"] not in ("Active", "Inactive"):
                raise bad_request('status must be "Active" or "Inactive"')
            fields["status"] = data["status"]
        access_key = None
        if data.get("access_key") is not None:
            access_key = text(data["access_key"], "access_key")
            if not access_key.isascii() or not access_key.isalnum() or len(access_key) > 64:
                raise bad_request("access_key must be 1-64 letters and digits")
        password = text(data["password"], "password") if data.get("password") is not None else None
        is_admin = boolean(data["is_admin"], "is_admin") if "is_admin" in data else False
        user = control.create_user(
            user_name, access_key=access_key, is_admin=is_admin, password=password, fields=fields
        )
        return ok(user, status=201)

    # -------------------------------------------------------------- seed and dump

    async def seed(request: Request) -> Response:
        data = await json_body(request)
        check_keys(data, {"demo", "records", "scale", "modules", "seed"}, "seed")
        # `is not`: a scale of 0 is a (bad) scale, not a missing one.
        sources = [
            k for k in ("demo", "records", "scale") if data.get(k) is not None and data[k] is not False
        ]
        if len(sources) != 1:
            raise bad_request('give exactly one of {"demo": true}, {"records": {...}}, {"scale": N}')
        if ("modules" in data or "seed" in data) and "scale" not in data:
            raise bad_request("modules and seed go with scale")
        if sources[0] == "demo":
            boolean(data["demo"], "demo")
            return ok(control.seed(demo=True), status=201)
        if sources[0] == "records":
            try:
                records = check_fixture(data["records"], "records")
            except SeedDataError as exc:
                raise bad_request(str(exc)) from None
            return ok(control.seed(records=records), status=201)
        scale = integer(data["scale"], "scale", minimum=1)
        modules = data.get("modules")
        if modules is not None and (
            not isinstance(modules, list) or not modules or not all(isinstance(m, str) for m in modules)
        ):
            raise bad_request("modules must be a non-empty list of module names")
        seed_value = integer(data["seed"], "seed") if data.get("seed") is not None else None
        return ok(control.seed(scale=scale, modules=modules, seed=seed_value), status=201)

    async def dump(request: Request) -> Response:
        check_keys(dict(request.query_params), {"modules"}, "query parameter")
        raw = request.query_params.get("modules")
        modules = [m.strip() for m in raw.split(",") if m.strip()] if raw else None
        # Plain UTF-8 JSON, indented: the file `vtiger-mock dump` writes and --seed-data reads.
        body = json.dumps(control.dump(modules), ensure_ascii=False, indent=1)
        return Response(body.encode("utf-8"), media_type="application/json")

    routes = [
        Route(f"{PREFIX}/health", _guard(health, token, public=True), methods=["GET"]),
        Route(PREFIX, _guard(index, token), methods=["GET"]),
        Route(f"{PREFIX}/reset", _guard(reset, token), methods=["POST"]),
        Route(f"{PREFIX}/snapshots", _guard(snapshots, token), methods=["GET"]),
        Route(f"{PREFIX}/snapshots/{{name}}", _guard(take_snapshot, token), methods=["POST"]),
        Route(f"{PREFIX}/snapshots/{{name}}", _guard(delete_snapshot, token), methods=["DELETE"]),
        Route(f"{PREFIX}/snapshots/{{name}}/restore", _guard(restore_snapshot, token), methods=["POST"]),
        Route(f"{PREFIX}/clock", _guard(get_clock, token), methods=["GET"]),
        Route(f"{PREFIX}/clock", _guard(put_clock, token), methods=["PUT"]),
        Route(f"{PREFIX}/requests", _guard(get_requests, token), methods=["GET"]),
        Route(f"{PREFIX}/requests", _guard(clear_requests, token), methods=["DELETE"]),
        Route(f"{PREFIX}/faults", _guard(get_faults, token), methods=["GET"]),
        Route(f"{PREFIX}/faults", _guard(add_fault, token), methods=["POST"]),
        Route(f"{PREFIX}/faults", _guard(clear_faults, token), methods=["DELETE"]),
        Route(f"{PREFIX}/faults/{{id}}", _guard(delete_fault, token), methods=["DELETE"]),
        Route(f"{PREFIX}/users", _guard(get_users, token), methods=["GET"]),
        Route(f"{PREFIX}/users", _guard(create_user, token), methods=["POST"]),
        Route(f"{PREFIX}/seed", _guard(seed, token), methods=["POST"]),
        Route(f"{PREFIX}/dump", _guard(dump, token), methods=["GET"]),
    ]
    return routes


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True
