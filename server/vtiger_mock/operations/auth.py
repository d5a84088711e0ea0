"""getchallenge, login, logout, extendsession (spec §3)."""

from __future__ import annotations

from typing import Any

from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context


def getchallenge(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    username = params["username"]
    if username is None:
        raise errors.no_username()
    issued = ctx.crm.auth.issue_token(ctx.conn, username)
    if issued is None:
        raise errors.unknown_username()
    token, server_time, expire_time = issued
    return {"token": token, "serverTime": server_time, "expireTime": expire_time}


def login(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    auth = ctx.crm.auth
    username, access_key = params["username"], params["accessKey"]
    user_id = auth.find_user_id(ctx.conn, username) if username is not None else None
    token = auth.live_token(ctx.conn, user_id) if user_id is not None else None
    if user_id is None or token is None:
        raise errors.invalid_token()
    user = auth.user_row(ctx.conn, user_id)
    assert user is not None
    stored_key = user.get("accesskey") or ""
    if not stored_key:
        raise errors.accesskey_undefined()
    # The token is not consumed: it stays valid until it expires or a new challenge replaces it.
    if access_key != md5_hex(token + stored_key) or user.get("status") != "Active":
        raise errors.invalid_credentials()
    session_id = auth.open_session(ctx.conn, user_id, ctx.session_id)
    profile = ctx.crm.profile
    users = ctx.crm.modules["Users"]
    printed = ctx.crm.records.render(ctx.conn, users, [user], with_id=False)[0]
    result: dict[str, Any] = {key: printed.get(name, "") for key, name in profile.login_user_fields.items()}
    result.update(
        sessionName=session_id,
        userId=f"{users.id_prefix}x{user_id}",
        version=profile.api_version,
        vtigerVersion=profile.vtiger_version,
    )
    return result


def logout(ctx: Context, params: dict[str, Any]) -> dict[str, str]:
    # Logout.php checks the HTTP method itself: the only operation that does.
    if ctx.request.method != "POST":
        raise errors.logout_not_post()
    if ctx.session_id is not None:
        ctx.crm.auth.close_session(ctx.conn, ctx.session_id)
    return {"message": "successfull"}


def extendsession(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    request = ctx.request
    session_id = request.request_param("PHPSESSID") or request.cookies.get("PHPSESSID") or ctx.session_id
    user_id = (
        ctx.crm.auth.session_user(ctx.conn, session_id, ctx.settings.session_idle_timeout)
        if session_id
        else None
    )
    if session_id is None or user_id is None:
        raise errors.authentication_failure()
    users = ctx.crm.modules["Users"]
    return {
        "sessionName": session_id,
        "userId": f"{users.id_prefix}x{user_id}",
        "version": ctx.crm.profile.api_version,
        "vtigerVersion": ctx.crm.profile.vtiger_version,
    }
