"""One frozen settings object: CLI flags and VTIGER_MOCK_* environment variables end up here."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

# The documented default access key of the admin user (16 chars of [a-zA-Z0-9], like Vtiger's).
DEFAULT_ADMIN_ACCESS_KEY = "vtigerMockAdmin1"

VtqlLogic = Literal["left-to-right", "sql"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def fixtures_root() -> Path:
    """The fixtures folder, inside the installed package (a link to the repo's fixtures/ in a checkout)."""
    return Path(__file__).resolve().parent / "fixtures"


def _flag(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off, not {text!r}")


def _integer(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {text!r}") from None


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {text!r}") from None


# Environment variable → (settings field, parser).  Empty values count as unset, except for flags,
# so that `-e VTIGER_MOCK_ADMIN_TOKEN=` in a compose file does not switch anything on.
_ENV: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "VTIGER_MOCK_DATABASE": ("database_url", lambda _n, v: v),
    "VTIGER_MOCK_PROFILE": ("profile", lambda _n, v: v),
    "VTIGER_MOCK_ADMIN_ACCESS_KEY": ("admin_access_key", lambda _n, v: v),
    "VTIGER_MOCK_VTQL_LOGIC": ("vtql_logic", lambda _n, v: v),
    "VTIGER_MOCK_SESSION_IDLE_TIMEOUT": ("session_idle_timeout", _integer),
    "VTIGER_MOCK_HOST": ("host", lambda _n, v: v),
    "VTIGER_MOCK_PORT": ("port", _integer),
    "VTIGER_MOCK_SEED": ("seed", _integer),
    "VTIGER_MOCK_SEED_DATA": ("seed_data", lambda _n, v: v),
    "VTIGER_MOCK_ADMIN_TOKEN": ("admin_token", lambda _n, v: v),
    "VTIGER_MOCK_NO_ADMIN": ("admin_enabled", lambda n, v: not _flag(n, v)),
    "VTIGER_MOCK_LOG_REQUESTS": ("log_requests", _flag),
    "VTIGER_MOCK_JOURNAL_SIZE": ("journal_size", _integer),
    "VTIGER_MOCK_FREEZE_AT": ("freeze_at", _number),
}
_FLAGS = {"VTIGER_MOCK_NO_ADMIN", "VTIGER_MOCK_LOG_REQUESTS"}


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://"
    profile: str = "vtiger-8.2"
    admin_access_key: str = DEFAULT_ADMIN_ACCESS_KEY
    vtql_logic: VtqlLogic = "left-to-right"
    # Seconds of inactivity after which a session is forgotten; None = never (real Vtiger leaves it
    # to PHP's session garbage collector, which in practice rarely fires during a test run).
    session_idle_timeout: int | None = None
    fixtures_dir: Path = field(default_factory=fixtures_root)
    # Where `vtiger-mock serve` listens (the app itself never reads these).
    host: str = "127.0.0.1"
    port: int = 8000
    # Deterministic mode: tokens, session ids, generated access keys and synthetic data are
    # reproducible run to run.  None = seeded from the OS.
    seed: int | None = None
    # Records loaded on top of the fresh install when the database is created: "demo" or a path to
    # fixture JSON (the `vtiger-mock dump` format).  An existing database file is used as it is.
    seed_data: str | None = None
    # The test-control surface under /_mock/: off entirely, or only with `Authorization: Bearer`.
    admin_enabled: bool = True
    admin_token: str | None = None
    # One log line per webservice request (logger "vtiger_mock.requests").
    log_requests: bool = False
    # How many requests the journal keeps (oldest dropped first).
    journal_size: int = 1000
    # Start (and reset) with the clock frozen at this epoch: with `seed`, whole runs are reproducible.
    freeze_at: float | None = None

    def __post_init__(self) -> None:
        # A bad value is a configuration error at start-up, never a failure in the middle of a test.
        if self.vtql_logic not in ("left-to-right", "sql"):
            raise ValueError(f"vtql_logic must be 'left-to-right' or 'sql', not {self.vtql_logic!r}")
        if self.journal_size < 0:
            raise ValueError(f"journal_size must be 0 or more, not {self.journal_size}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.admin_token == "":
            object.__setattr__(self, "admin_token", None)

    @property
    def profile_dir(self) -> Path:
        return self.fixtures_dir / "profiles" / self.profile

    def to_env(self) -> dict[str, str]:
        """The VTIGER_MOCK_* variables that rebuild these settings with from_env (worker processes)."""
        out: dict[str, str] = {}
        for name, (attr, _parse) in _ENV.items():
            value = getattr(self, attr)
            if name == "VTIGER_MOCK_NO_ADMIN":
                out[name] = "0" if value else "1"
            elif isinstance(value, bool):
                out[name] = "1" if value else "0"
            elif value is not None:
                out[name] = str(value)
        return out

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then VTIGER_MOCK_* variables, then `overrides` (CLI flags; None = not given)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, (attr, parse) in _ENV.items():
            text = env.get(name)
            if text is None or (text == "" and name not in _FLAGS):
                continue
            values[attr] = parse(name, text)
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
