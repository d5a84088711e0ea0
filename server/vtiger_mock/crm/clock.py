"""The one clock: every timestamp (tokens, sessions, createdtime/modifiedtime, sync) comes from here.

Tests and the admin API freeze or move it; nothing else in the code reads the system time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from functools import lru_cache


class Clock:
    """Real time, or frozen at a moment, or shifted by an offset.  The state is one tuple,
    replaced whole: a reading needs no lock (several per request), changes are serialised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: tuple[float | None, float] = (None, 0.0)  # (frozen at, offset)

    def now(self) -> float:
        frozen_at, offset = self._state
        return frozen_at if frozen_at is not None else time.time() + offset

    def epoch(self) -> int:
        return int(self.now())

    def timestamp(self) -> str:
        """Vtiger's `YYYY-MM-DD HH:MM:SS` in the server time zone (UTC, as a default install)."""
        return format_epoch(self.epoch())

    def freeze(self, at: float | None = None) -> None:
        with self._lock:
            offset = self._state[1]
            self._state = (time.time() + offset if at is None else float(at), offset)

    def advance(self, seconds: float) -> None:
        with self._lock:
            frozen_at, offset = self._state
            if frozen_at is not None:
                self._state = (frozen_at + seconds, offset)
            else:
                self._state = (None, offset + seconds)

    def real(self) -> None:
        with self._lock:
            self._state = (None, 0.0)

    @property
    def frozen(self) -> bool:
        return self._state[0] is not None


@lru_cache(maxsize=64)
def format_epoch(epoch: int) -> str:
    # Kept: every write stamps the current second, often many times per second.
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_timestamp(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())
