"""One frozen settings object: CLI flags and VTIGER_MOCK_* environment variables end up here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# The documented default access key of the admin user (16 chars of [a-zA-Z0-9], like Vtiger's).
DEFAULT_ADMIN_ACCESS_KEY = "vtigerMockAdmin1"

VtqlLogic = Literal["left-to-right", "sql"]


def fixtures_root() -> Path:
    """The fixtures folder, inside the installed package (a link to the repo's fixtures/ in a checkout)."""
    return Path(__file__).resolve().parent / "fixtures"


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

    @property
    def profile_dir(self) -> Path:
        return self.fixtures_dir / "profiles" / self.profile

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if "VTIGER_MOCK_DATABASE" in env:
            values["database_url"] = env["VTIGER_MOCK_DATABASE"]
        if "VTIGER_MOCK_PROFILE" in env:
            values["profile"] = env["VTIGER_MOCK_PROFILE"]
        if env.get("VTIGER_MOCK_ADMIN_ACCESS_KEY"):
            values["admin_access_key"] = env["VTIGER_MOCK_ADMIN_ACCESS_KEY"]
        if env.get("VTIGER_MOCK_VTQL_LOGIC"):
            values["vtql_logic"] = env["VTIGER_MOCK_VTQL_LOGIC"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.vtql_logic not in ("left-to-right", "sql"):
            raise ValueError(f"vtql_logic must be 'left-to-right' or 'sql', not {settings.vtql_logic!r}")
        return settings
