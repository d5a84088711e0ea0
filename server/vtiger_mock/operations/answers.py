"""Answers kept while the data they were read from stays the same (query, retrieve)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from vtiger_mock.crm.state import CRM
from vtiger_mock.protocol.context import Context
from vtiger_mock.protocol.envelope import Encoded, php_json

# Answers kept while the data stays the same, up to this many bytes in all (oldest dropped first);
# a larger single answer is not kept.
_ANSWER_BUDGET = 16 * 1024 * 1024
_LARGEST_KEPT_ANSWER = 1024 * 1024


class Answers:
    """Encoded results by request, each valid for one data stamp (Database.data_stamp).

    Clients poll the same queries and read the same records again, and reading and printing them
    costs many times checking that nothing changed.  A key names everything besides the data that
    the answer depends on: ("query", text, logic) (query printing is the same for every user),
    ("retrieve", id, user id).
    """

    def __init__(self, budget: int = _ANSWER_BUDGET) -> None:
        self._budget = budget
        self._size = 0
        self._kept: OrderedDict[Hashable, tuple[Any, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Any) -> bytes | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None or found[0] != stamp:
                return None
            self._kept.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, stamp: Any, encoded: bytes) -> None:
        if len(encoded) > _LARGEST_KEPT_ANSWER:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._kept[key] = (stamp, encoded)
            self._size += len(encoded)
            while self._size > self._budget:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._size -= len(dropped)


def kept_answers(crm: CRM) -> Answers:
    """The CRM's kept answers (one budget for every operation that keeps them)."""
    found: Answers = crm.modules.memo.setdefault("answers", Answers())
    return found


def kept_or_answered(ctx: Context, key: Hashable | None, answer: Callable[[], Any]) -> Encoded:
    """The answer kept under `key` while the data stays the same, else `answer()` encoded (and
    kept, unless `key` is None)."""
    if key is None:
        return Encoded(php_json(answer()))
    answers = kept_answers(ctx.crm)
    stamp = ctx.crm.db.data_stamp(ctx.conn)
    kept = answers.get(key, stamp)
    if kept is None:
        kept = php_json(answer())
        answers.put(key, stamp, kept)
    return Encoded(kept)
