"""The ceiling: a bare Starlette app on the emulator's uvicorn settings, answering /webservice.php
with a fixed JSON envelope.  No emulator on this stack can be faster, so each scenario is reported
as a share of it, a number that stays meaningful on any machine.

`python -m bench.ceiling --port N` serves it exactly as `vtiger-mock serve` serves the emulator:
`uvicorn.run(app, host=..., port=..., log_level="warning")`, one process, uvicorn's "auto" loop and
HTTP implementation (so both pick the same ones from the same environment).
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# A getchallenge-sized answer; the same Content-Type header the emulator sends.
ENVELOPE = (
    b'{"success":true,"result":{"token":"5f6a7b8c9d0e1","serverTime":1795391829,"expireTime":1795392129}}'
)
_METHODS = ["GET", "POST"]


async def webservice(request: Request) -> Response:
    return Response(ENVELOPE, media_type="application/json")


app = Starlette(routes=[Route("/webservice.php", webservice, methods=_METHODS)])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.ceiling")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
