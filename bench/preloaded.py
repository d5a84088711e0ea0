"""`python -m bench.preloaded --accounts N --port P`: the emulator app, in memory, with N Accounts
bulk-loaded before it starts serving, on the same uvicorn settings as `vtiger-mock serve`.

For the memory part: loading 100,000 records through the create operation would take minutes and
measure the create path rather than what the records cost in memory.
"""

from __future__ import annotations

import argparse

from bench.dataset import load_accounts


def main() -> None:
    import uvicorn

    from vtiger_mock.app import build_app, build_crm
    from vtiger_mock.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m bench.preloaded")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    settings = Settings.from_env()
    crm = build_crm(settings)
    load_accounts(crm, args.accounts)
    uvicorn.run(build_app(settings, crm=crm), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
