"""Login attempts per client address, on top of the per-account lock-out.

The access room locks an account after repeated wrong passwords; this stops one
computer from trying many user names. A sliding window of one minute per
address, kept in memory with a bound on how many addresses are remembered.
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

    def allow(self, address: str) -> bool:
        """Count one attempt from `address`; False once the minute's budget is spent."""
        now = self.clock()
        with self._lock:
            times = self._seen.pop(address, None) or deque()
            while times and now - times[0] >= WINDOW_SECONDS:
                times.popleft()
            allowed = len(times) < self.per_minute
            if allowed:
                times.append(now)
            self._seen[address] = times
            while len(self._seen) > MAX_ADDRESSES:
                self._seen.popitem(last=False)
            return allowed

    def wait_seconds(self, address: str) -> int:
        with self._lock:
            times = self._seen.get(address)
            if not times:
                return 0
            return max(1, int(WINDOW_SECONDS - (self.clock() - times[0])) + 1)
