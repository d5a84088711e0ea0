"""changePassword and deleteUser (include/Webservices/Custom/ChangePassword.php, DeleteUser.php)."""

from __future__ import annotations

from typing import Any

from vtiger_mock.crm.users import is_strong, verify_password
from vtiger_mock.crm.values import leading_int, php_string, split_ws_id
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.context import Context


def change_password(ctx: Context, params: dict[str, Any]) -> dict[str, str] | None:
    actor = ctx.actor
    target = leading_int(split_ws_id(php_string(params["id"]))[1]) if params["id"] is not None else None
    if target is None or (target != actor.id and not actor.is_admin):
        return None  # the handler falls through without an answer: success with a null result
    admin = ctx.crm.users
    if not actor.is_admin:
        old = params["oldPassword"]
        if not old or not verify_password(old, admin.password_of(ctx.conn, actor.id)):
            raise errors.invalid_old_password()
    new, confirm = params["newPassword"] or "", params["confirmPassword"] or ""
    if not is_strong(new):
        raise errors.password_not_strong()
    if new != confirm:
        raise errors.change_password_failure()
    admin.set_password(ctx.conn, target, new)
    return {"message": "Changed password successfully"}


def delete_user(ctx: Context, params: dict[str, Any]) -> dict[str, str]:
    crm = ctx.crm
    users, user_id = crm.records.locate(ctx.conn, params["id"])
    if users.kind != "users":
        raise errors.invalid_id()
    if not ctx.actor.is_admin:
        raise errors.WebServiceError(errors.ACCESS_DENIED, "Permission to read given object is denied")
    new_owner = leading_int(split_ws_id(php_string(params["newOwnerId"] or ""))[1]) or 1  # default: admin
    crm.users.transfer_and_delete(ctx.conn, user_id, new_owner)
    return {"status": "successful"}
