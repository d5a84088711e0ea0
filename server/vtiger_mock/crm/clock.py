"""The one clock: every timestamp (tokens, sessions, createdtime/modifiedtime, sync) comes from here.

Tests and the admin API freeze or move it; nothing else in the code reads the system time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import lru_cache


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_at: float | None = None
        self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def epoch(self) -> int:
        return int(self.now())

    def timestamp(self) -> str:
        """Vtiger's `YYYY-MM-DD HH:MM:SS` in the server time zone (UTC, as a default install)."""
        return format_epoch(self.epoch())

    def freeze(self, at: float | None = None) -> None:
        with self._lock:
            self._frozen_at = time.time() + self._offset if at is None else float(at)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def real(self) -> None:
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None


@lru_cache(maxsize=64)
def format_epoch(epoch: int) -> str:
    # Kept: every write stamps the current second, often many times per second.
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_timestamp(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())
