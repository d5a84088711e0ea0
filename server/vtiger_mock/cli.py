"""The `vtiger-mock` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vtiger_mock import __version__
from vtiger_mock.settings import Settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vtiger_mock.app import build_app

    settings = Settings.from_env(
        database_url=args.database,
        profile=args.profile,
        vtql_logic=args.vtql_logic,
    )
    app = build_app(settings)
    url = f"http://{args.host}:{args.port}/webservice.php"
    print(f"vtiger-mock {__version__} ({settings.profile}) listening on {url}", flush=True)
    print(f"  user: admin   access key: {settings.admin_access_key}", flush=True)
    print(f"  database: {settings.database_url}   VTQL logic: {settings.vtql_logic}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vtiger-mock", description="An emulator of the Vtiger CRM webservice."
    )
    parser.add_argument("--version", action="version", version=f"vtiger-mock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--database",
        default=None,
        help="SQLAlchemy URL; default in-memory (fresh every start); sqlite:///path.db persists",
    )
    serve.add_argument("--profile", default=None, help="vendor profile (default vtiger-8.2)")
    serve.add_argument(
        "--vtql-logic",
        choices=["left-to-right", "sql"],
        default=None,
        help="how AND/OR combine in VTQL: left-to-right (documented, default) or sql (what 8.2.0 does)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    serve.set_defaults(func=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
