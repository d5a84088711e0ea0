"""Replays recordings of a real Vtiger against the emulator and scores every exchange.

The recordings scrub secrets (`<SESSION>`, `<TOKEN>`, `<MD5(TOKEN+ACCESSKEY)>`, `<ACCESSKEY>`); the
replay fills them with the emulator's live values.  Volatile values (tokens, session ids, times)
are compared by format, and record ids created during the replay are mapped onto the emulator's.

Run `python -m tests.contract.replay` for a per-operation table and the list of differences.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from vtiger_mock.app import build_app
from vtiger_mock.crm.auth import md5_hex
from vtiger_mock.crm.clock import Clock, parse_timestamp
from vtiger_mock.crm.state import CRM
from vtiger_mock.settings import Settings

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "real-vtiger-8.2"
TRANSCRIPTS = ("transcript.jsonl", "transcript-php7-semantics.jsonl")
ACCESS_KEY = "replayAccessKey1"

# The PHP 8 crash bugs of stock 8.2.0 (spec §1.5): the emulator answers these operations as they
# answer on PHP 7, so a recorded HTTP 500 of theirs is not a behaviour to match.
PHP8_CRASH_OPERATIONS = {"sync", "logout", "convertlead", "retrieve_inventory", "files_retrieve"}

# Keys whose values change from run to run: compared by format only.
_VOLATILE_FORMATS: dict[str, re.Pattern[str]] = {
    "token": re.compile(r"^[0-9a-f]{13}$"),
    "sessionName": re.compile(r"^[0-9a-f]{14,22}$"),
    "serverTime": re.compile(r"^\d{10}$"),
    "expireTime": re.compile(r"^\d{10}$"),
    "createdtime": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"),
    "modifiedtime": re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"),
    "lastModifiedTime": re.compile(r"^\d{10}$"),
}
_WS_ID = re.compile(r"\b(\d+)x(\d+)\b")

# Operations whose recorded answer shows the server's clock at the time of the request.
_WRITES = {"create", "update", "revise"}


def recorded_time(operation: str, exchange: dict[str, Any]) -> int | None:
    """The real server's time during an exchange, when its answer shows it: getchallenge's
    serverTime, the modifiedtime a write stamped."""
    expected = exchange.get("response_json")
    result = expected.get("result") if isinstance(expected, dict) and expected.get("success") else None
    if not isinstance(result, dict):
        return None
    if operation == "getchallenge" and isinstance(result.get("serverTime"), int):
        return int(result["serverTime"])
    stamp = result.get("modifiedtime")
    if operation in _WRITES and isinstance(stamp, str) and stamp:
        try:
            return parse_timestamp(stamp)
        except ValueError:
            return None
    return None


@dataclass
class Outcome:
    name: str
    operation: str
    matched: bool
    skipped: str | None = None
    differences: list[str] = field(default_factory=list)


@dataclass
class ReplayReport:
    outcomes: list[Outcome]

    def rates(self) -> dict[str, tuple[int, int]]:
        """operation → (matched, compared), skipped exchanges excluded."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            if o.skipped:
                continue
            totals[o.operation][1] += 1
            totals[o.operation][0] += int(o.matched)
        return {op: (m, n) for op, (m, n) in sorted(totals.items())}

    def rate(self, operations: set[str]) -> float:
        rates = self.rates()
        matched = sum(rates[op][0] for op in operations if op in rates)
        compared = sum(rates[op][1] for op in operations if op in rates)
        return matched / compared if compared else 1.0

    def failures(self, operations: set[str] | None = None) -> list[Outcome]:
        return [
            o
            for o in self.outcomes
            if not o.matched and not o.skipped and (operations is None or o.operation in operations)
        ]


def load_exchanges(name: str) -> list[dict[str, Any]]:
    path = REFERENCE / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Replayer:
    def __init__(self, settings: Settings | None = None) -> None:
        # The replay runs on the recording's clock: sync requests carry absolute times of the
        # recording, and which records share a second decides sync's page sizes.
        self.clock = Clock()
        self.clock.freeze()
        self.settings = settings or Settings(admin_access_key=ACCESS_KEY, vtql_logic="sql")
        crm = CRM(
            self.settings.profile_dir, admin_access_key=self.settings.admin_access_key, clock=self.clock
        )
        crm.initialize()
        self.client = TestClient(build_app(self.settings, crm=crm))
        self.session: str | None = None
        self.tokens: list[str] = []
        self.login_token: str | None = None  # the token of the last successful login
        self.id_map: dict[str, str] = {}  # recorded record id → emulator record id

    # ------------------------------------------------------------------ filling placeholders

    def _fill(self, value: str, exchange: dict[str, Any]) -> str:
        note = exchange.get("note", "") or ""
        token = self.tokens[-1] if self.tokens else ""
        if "earlier getchallenge" in note and self.login_token:
            token = self.login_token  # the client kept using the token it logged in with
        value = value.replace("<MD5(TOKEN+ACCESSKEY)>", md5_hex(token + self.settings.admin_access_key))
        value = value.replace("<TOKEN>", token).replace("<ACCESSKEY>", self.settings.admin_access_key)
        value = value.replace("<SESSION>", self.session or "")
        return self._map_ids(value)

    def _map_ids(self, text: str) -> str:
        return _WS_ID.sub(lambda m: f"{m.group(1)}x{self.id_map.get(m.group(2), m.group(2))}", text)

    def _map_expected(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._map_ids(value)
        if isinstance(value, list):
            return [self._map_expected(v) for v in value]
        if isinstance(value, dict):
            return {k: self._map_expected(v) for k, v in value.items()}
        return value

    # ------------------------------------------------------------------ one exchange

    def play(self, exchange: dict[str, Any]) -> Outcome:
        params = {k: self._fill(str(v), exchange) for k, v in exchange["params"].items()}
        query = {
            k: self._fill(str(v), exchange) for k, v in (exchange.get("query_string_params") or {}).items()
        }
        operation = str(params.get("operation") or query.get("operation") or "").lower() or "(none)"
        note = exchange.get("note", "") or ""
        at = recorded_time(operation, exchange)
        if at is not None:
            self.clock.freeze(at)
        if "expiretime forced" in note:
            self.clock.advance(301)  # the recording expired the token in the database
        if exchange["http_status"] == 500 and operation in PHP8_CRASH_OPERATIONS:
            # PHP 8 failed calling the handler, before it did anything: the emulator works like
            # PHP 7, so sending the request would change state the recording never changed.
            return Outcome(exchange["name"], operation, False, skipped="PHP 8 crash in stock 8.2.0")
        if exchange["method"] == "GET":
            response = self.client.get("/webservice.php", params={**params, **query})
        else:
            response = self.client.post("/webservice.php", params=query or None, data=params)
        expected = exchange["response_json"]
        if exchange.get("content_type", "").startswith("text/html") and exchange["http_status"] == 200:
            self._learn(operation, None, response)
            return Outcome(exchange["name"], operation, False, skipped="not a webservice answer")
        differences: list[str] = []
        if response.status_code != exchange["http_status"]:
            differences.append(f"HTTP {response.status_code} != {exchange['http_status']}")
        try:
            actual = response.json() if response.content else ""
        except ValueError:
            actual = response.text
        self._learn(operation, expected, response)
        _compare(self._map_expected(expected), actual, "$", differences)
        return Outcome(exchange["name"], operation, not differences, differences=differences[:8])

    def _learn(self, operation: str, expected: Any, response: Any) -> None:
        try:
            actual = response.json()
        except ValueError:
            return
        if not isinstance(actual, dict) or not actual.get("success"):
            return
        result = actual.get("result")
        if operation == "getchallenge":
            self.tokens.append(result["token"])
        elif operation == "login":
            self.session = result["sessionName"]
            self.login_token = self.tokens[-1] if self.tokens else None
        if (
            isinstance(expected, dict)
            and expected.get("success")
            and isinstance(result, dict)
            and isinstance(expected.get("result"), dict)
        ):
            rec_id, our_id = expected["result"].get("id"), result.get("id")
            if isinstance(rec_id, str) and isinstance(our_id, str) and "x" in rec_id and "x" in our_id:
                self.id_map.setdefault(rec_id.split("x")[1], our_id.split("x")[1])

    def run(self, names: tuple[str, ...] = TRANSCRIPTS) -> ReplayReport:
        outcomes = []
        for name in names:
            for exchange in load_exchanges(name):
                outcomes.append(self.play(exchange))
        return ReplayReport(outcomes)


def _compare(expected: Any, actual: Any, path: str, out: list[str]) -> None:
    key = path.rsplit(".", 1)[-1]
    if key in _VOLATILE_FORMATS and isinstance(expected, (str, int)) and not isinstance(expected, bool):
        pattern = _VOLATILE_FORMATS[key]
        if not isinstance(actual, (str, int)) or isinstance(actual, bool) or not pattern.match(str(actual)):
            out.append(f"{path}: {actual!r} has not the format of {expected!r}")
        elif type(actual) is not type(expected):
            out.append(f"{path}: {type(actual).__name__} != {type(expected).__name__}")
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            missing = [k for k in expected if k not in actual]
            extra = [k for k in actual if k not in expected]
            if missing or extra:
                out.append(f"{path}: missing keys {missing[:6]} extra keys {extra[:6]}")
            else:
                out.append(f"{path}: key order differs")
        for k in expected:
            if k in actual:
                _compare(expected[k], actual[k], f"{path}.{k}", out)
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            out.append(f"{path}: {len(actual)} items != {len(expected)}")
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            _compare(e, a, f"{path}[{i}]", out)
        return
    if expected != actual or type(expected) is not type(actual):
        out.append(f"{path}: {actual!r} != {expected!r}")


def main(argv: list[str]) -> int:
    report = Replayer().run()
    verbose = "-v" in argv
    for op, (matched, compared) in report.rates().items():
        print(f"{op:20} {matched:4}/{compared:<4} {100 * matched / compared:6.1f}%")
    skipped = Counter(o.skipped for o in report.outcomes if o.skipped)
    for reason, n in skipped.items():
        print(f"skipped: {n} × {reason}")
    for o in report.failures():
        print(f"- {o.name} [{o.operation}]")
        for d in o.differences[: (8 if verbose else 3)]:
            print(f"    {d[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
