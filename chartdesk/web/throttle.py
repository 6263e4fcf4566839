"""Failed logins per client address, on top of the per-account lock-out.

The access room locks an account after repeated wrong passwords; this stops one
computer from trying many user names. A sliding window of one minute per
address counts failures only (a busy front desk logging in is never slowed),
kept in memory with a bound on how many addresses are remembered.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000


class LoginThrottle:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def blocked(self, address: str) -> bool:
        """True once `address` has spent the minute's budget of failed logins."""
        with self._lock:
            return len(self._recent(address)) >= self.per_minute

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address).append(self.clock())
            while len(self._seen) > MAX_ADDRESSES:
                self._seen.popitem(last=False)

    def _recent(self, address: str) -> deque[float]:
        now = self.clock()
        times = self._seen.pop(address, None) or deque()
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        self._seen[address] = times
        return times

    def wait_seconds(self, address: str) -> int:
        with self._lock:
            times = self._seen.get(address)
            if not times:
                return 0
            return max(1, int(WINDOW_SECONDS - (self.clock() - times[0])) + 1)
