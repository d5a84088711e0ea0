"""What an operation handler receives besides its parameters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from vtiger_mock.crm.records import Actor
from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol import errors
from vtiger_mock.protocol.request import WsRequest
from vtiger_mock.settings import Settings


@dataclass(slots=True)
class Context:
    crm: CRM
    settings: Settings
    request: WsRequest
    conn: Connection
    session_id: str | None
    actor_or_none: Actor | None

    @property
    def actor(self) -> Actor:
        """The logged-in user; non-pre-login operations always have one."""
        if self.actor_or_none is None:
            raise errors.authentication_required()
        return self.actor_or_none
