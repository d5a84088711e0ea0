"""Fault injection: rules that make chosen webservice operations fail, slow down or drop.

A rule matches operations (one, several, or all), fires on every match, on the next `times`
matches, and/or with a `probability` drawn from its own seeded generator (the same seed gives the
same hits and misses), and then does one thing:

- `error`: Vtiger's failure envelope (HTTP 200, `{"success":false,"error":{...}}`), the way real
  Vtiger reports a handled failure, with any code and message;
- `http_status` (+ `body`, `content_type`): a transport-level failure such as a 503 from a proxy,
  or PHP's empty HTTP 500;
- `drop_connection`: the connection is closed without an answer;
- `delay_ms`: the answer comes that much later (alone, or before any of the above).

By default the fault happens instead of the operation; with `"when": "after"` the operation runs
(and commits) first — the "did my create happen?" case a retrying client has to get right.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from vtiger_mock.admin.http import bad_request, boolean, check_keys, integer, number, text
from vtiger_mock.protocol import errors

MAX_DELAY_MS = 600_000

_RULE_KEYS = {"operation", "times", "probability", "seed", "when", "action"}
_ACTION_KEYS = {"error", "http_status", "body", "content_type", "delay_ms", "drop_connection"}


def _catalogue() -> dict[str, str]:
    """Vtiger's message for each code, from the error catalogue (the first message of a code)."""
    messages: dict[str, str] = {}
    for factory in (
        errors.internal_error,
        errors.access_denied,
        errors.authentication_required,
        errors.authentication_failure,
        errors.invalid_session,
        errors.invalid_token,
        errors.invalid_credentials,
        errors.accesskey_undefined,
        errors.mandatory_generic,
        errors.invalid_id,
        errors.record_not_found,
        errors.database_error,
        errors.relation_incorrect,
        errors.lead_already_converted,
    ):
        error = factory()
        messages.setdefault(str(error.code), error.message)
    return messages


_MESSAGES = _catalogue()
_DEFAULT = errors.internal_error()


@dataclass(frozen=True)
class Action:
    error: errors.WebServiceError | None = None
    http_status: int | None = None
    body: str | bytes = b""
    content_type: str = "text/html; charset=UTF-8"  # what PHP sends with an error page
    delay_ms: float = 0.0
    drop_connection: bool = False
    spec: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def kind(self) -> str:
        if self.error is not None:
            return "error"
        if self.http_status is not None:
            return "http_status"
        if self.drop_connection:
            return "drop_connection"
        return "delay"

    @property
    def replaces_response(self) -> bool:
        return self.kind != "delay"


@dataclass
class Rule:
    id: int
    operations: frozenset[str] | None  # None: every operation (and requests without one)
    times: int | None
    probability: float | None
    seed: int | None
    when: Literal["before", "after"]
    action: Action
    matched: int = 0  # requests that matched the operation filter
    fired: int = 0
    _rng: random.Random | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.times is None or self.fired < self.times

    def matches(self, operation: str | None) -> bool:
        return self.active and (self.operations is None or (operation or "") in self.operations)

    def roll(self) -> bool:
        """Counts the match and decides whether the rule fires for it."""
        self.matched += 1
        if self._rng is not None and self.probability is not None and self._rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": sorted(self.operations) if self.operations is not None else None,
            "times": self.times,
            "remaining": None if self.times is None else max(self.times - self.fired, 0),
            "probability": self.probability,
            "seed": self.seed,
            "when": self.when,
            "action": self.action.spec,
            "matched": self.matched,
            "fired": self.fired,
            "active": self.active,
        }


def parse_action(data: Any) -> Action:
    if not isinstance(data, dict) or not data:
        raise bad_request(
            'action must be an object: {"error": {...}} | {"http_status": 503} | '
            '{"delay_ms": 800} | {"drop_connection": true}'
        )
    check_keys(data, _ACTION_KEYS, "action")
    terminal = [k for k in ("error", "http_status", "drop_connection") if k in data]
    if len(terminal) > 1:
        raise bad_request(
            f"action can do only one of error, http_status, drop_connection (got {', '.join(terminal)})"
        )
    if not terminal and "delay_ms" not in data:
        raise bad_request("action needs one of error, http_status, delay_ms, drop_connection")
    if ("body" in data or "content_type" in data) and "http_status" not in data:
        raise bad_request("body and content_type go with http_status")
    delay = (
        number(data["delay_ms"], "action.delay_ms", minimum=0, maximum=MAX_DELAY_MS)
        if "delay_ms" in data
        else 0.0
    )
    if "error" in data:
        spec = data["error"]
        if spec is True:
            spec = {}
        if not isinstance(spec, dict):
            raise bad_request('action.error must be an object {"code": ..., "message": ...}')
        check_keys(spec, {"code", "message"}, "action.error")
        code = spec.get("code", _DEFAULT.code)
        if isinstance(code, bool) or not isinstance(code, (str, int)) or code == "":
            raise bad_request("action.error.code must be a non-empty string or an integer")
        default_message = _MESSAGES.get(str(code), _DEFAULT.message)
        message = text(spec.get("message", default_message), "action.error.message", allow_empty=True)
        error = errors.WebServiceError(code, message)
        return Action(error=error, delay_ms=delay, spec={**data, "error": {"code": code, "message": message}})
    if "http_status" in data:
        status = integer(data["http_status"], "action.http_status", minimum=200, maximum=599)
        raw_body = data.get("body", "")
        if isinstance(raw_body, str):
            body: str | bytes = raw_body
            content_type = "text/html; charset=UTF-8"
        else:
            # A JSON value as the body (e.g. a proxy's JSON error): sent as JSON.
            body = json.dumps(raw_body)
            content_type = "application/json"
        if "content_type" in data:
            content_type = text(data["content_type"], "action.content_type")
        return Action(
            http_status=status, body=body, content_type=content_type, delay_ms=delay, spec=dict(data)
        )
    if "drop_connection" in data:
        if not boolean(data["drop_connection"], "action.drop_connection"):
            raise bad_request("action.drop_connection must be true (leave it out for no drop)")
        return Action(drop_connection=True, delay_ms=delay, spec=dict(data))
    return Action(delay_ms=delay, spec=dict(data))


class Faults:
    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, data: dict[str, Any], seed_source: random.Random) -> Rule:
        """A rule from its JSON form; `seed_source` seeds probability rules that name no seed."""
        check_keys(data, _RULE_KEYS, "fault")
        if "action" not in data:
            raise bad_request("a fault needs an action")
        action = parse_action(data["action"])
        operations = self._operations(data.get("operation"))
        times = integer(data["times"], "times", minimum=1) if data.get("times") is not None else None
        probability = None
        if data.get("probability") is not None:
            probability = number(data["probability"], "probability", minimum=0, maximum=1)
        seed = None
        if data.get("seed") is not None:
            if probability is None:
                raise bad_request("seed goes with probability")
            seed = integer(data["seed"], "seed")
        # "after" with a bare delay is the slow answer to a write that did happen (client timeouts).
        when = data.get("when", "before")
        if when not in ("before", "after"):
            raise bad_request('when must be "before" (instead of the operation) or "after" (once it ran)')
        rng = None
        if probability is not None:
            seed = seed if seed is not None else seed_source.randrange(2**31)
            rng = random.Random(seed)
        with self._lock:
            rule = Rule(self._next_id, operations, times, probability, seed, when, action, _rng=rng)
            self._next_id += 1
            self._rules.append(rule)
        return rule

    @staticmethod
    def _operations(value: Any) -> frozenset[str] | None:
        if value is None or value == "*":
            return None
        if isinstance(value, str) and value.strip():
            return frozenset({value.strip().lower()})
        if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            return frozenset(v.strip().lower() for v in value)
        raise bad_request('operation must be an operation name, a list of names, or "*" for all')

    def pick(self, operation: str | None) -> Rule | None:
        """The first rule that fires for this request, its counters updated; None = no fault."""
        if not self._rules:  # the usual case: no lock (a rule added meanwhile races this request anyway)
            return None
        with self._lock:
            for rule in self._rules:
                if rule.matches(operation) and rule.roll():
                    return rule
        return None

    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            removed = len(kept) != len(self._rules)
            self._rules = kept
            return removed

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules = []
            return count

    def restart(self) -> None:
        with self._lock:
            self._rules = []
            self._next_id = 1
