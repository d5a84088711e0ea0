"""The application factory.  All state hangs off the app, so a test can build as many as it likes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vtiger_mock.crm.clock import Clock
from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol.dispatch import Dispatcher
from vtiger_mock.protocol.registry import OperationRegistry
from vtiger_mock.protocol.request import read_request
from vtiger_mock.settings import Settings

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build_crm(settings: Settings, clock: Clock | None = None) -> CRM:
    crm = CRM(
        settings.profile_dir,
        settings.database_url,
        admin_access_key=settings.admin_access_key,
        clock=clock,
    )
    crm.initialize()
    return crm


def build_app(settings: Settings | None = None, *, crm: CRM | None = None) -> Starlette:
    settings = settings or Settings()
    crm = crm or build_crm(settings)
    registry = OperationRegistry.from_file(settings.profile_dir / "operations.json")
    dispatcher = Dispatcher(crm, registry, settings)

    async def webservice(request: Request) -> Response:
        # Handlers are synchronous and short; running them on the event loop keeps SQLite access
        # serialised within the process and avoids a thread hop per request.
        return dispatcher.handle(await read_request(request))

    app = Starlette(routes=[Route("/webservice.php", webservice, methods=_METHODS)])
    app.state.settings = settings
    app.state.crm = crm
    app.state.dispatcher = dispatcher
    return app
