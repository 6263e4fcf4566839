"""Rebuilding without a gap, on every backend (conftest.FACTORIES): a new index is
filled beside the live one and replaces it in one step, while readers search."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chartdesk.index import (
    LiveIndex,
    MatchAll,
    Rebuildable,
    SearchIndex,
    index_pending,
    open_index,
    rebuild,
)
from tests.index.corpus import doc
from tests.index.test_feed import WORKER, Desk, add_document, desk, pending  # noqa: F401  (desk: the fixture)


def texts(n: int, word: str) -> list:  # noqa: ANN201
    return [doc(i, f"note {i} mentions {word}") for i in range(1, n + 1)]


@dataclass
class Watcher:
    """Counts matches in a loop, reloading first as a live reader does."""

    count: Callable[[], int]
    totals: list[int] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.totals.append(self.count())
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(exc)
                return

    def wait_for(self, done: Callable[[list[int]], bool], what: str, timeout: float = 60) -> None:
        """Wait until the totals seen so far satisfy `done` (a busy machine gives the
        reader fewer turns; a fixed sleep would make the test a race)."""
        deadline = time.monotonic() + timeout
        while not done(list(self.totals)):
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"the reader never {what}; it saw {sorted(set(self.totals))}"
            time.sleep(0.05)

    def __enter__(self) -> Watcher:
        self._thread = threading.Thread(target=self.run)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join()


def test_rebuild_swaps_without_a_gap(index_factory, tmp_path: Path) -> None:  # noqa: ANN001
    """Given a live index of 40 documents that a reader searches without pause, when a
    new index of 50 is filled beside it and published, then every search saw 40 or 50
    (never none, never a part), and the identity changed."""
    live = index_factory(tmp_path / "index")
    reader = index_factory(tmp_path / "index", writer=False)
    try:
        live.add(texts(40, "alpha"))
        live.commit()
        before = live.identity()

        def count() -> int:
            reader.reload()
            return reader.search("*", visible=MatchAll(), limit=0).total

        with Watcher(count) as watcher:
            assert isinstance(live, Rebuildable)
            staged = live.begin_rebuild()
            staged.add(texts(50, "beta"))
            staged.commit()
            watcher.wait_for(lambda seen: len(seen) >= 3, "searched the live index")
            assert live.search("beta", visible=MatchAll()).total == 0, "nobody searches the new index yet"
            live.publish(staged)
            watcher.wait_for(lambda seen: seen[-1:] == [50], "saw the published index")
        assert not watcher.errors, watcher.errors
        assert watcher.totals[0] == 40 and watcher.totals[-1] == 50 and set(watcher.totals) <= {40, 50}
        assert live.identity() != before
        assert live.search("beta", visible=MatchAll()).total == 50
    finally:
        live.close()
        reader.close()


def test_a_second_rebuild_works_like_the_first(index_factory, tmp_path: Path) -> None:  # noqa: ANN001
    live: SearchIndex = index_factory(tmp_path / "index")
    try:
        for n in (3, 4, 5):
            staged = live.begin_rebuild()  # type: ignore[attr-defined]
            staged.add(texts(n, "gamma"))
            staged.commit()
            live.publish(staged)  # type: ignore[attr-defined]
            assert live.count() == n
    finally:
        live.close()


def test_a_discarded_rebuild_leaves_the_live_index(index_factory, tmp_path: Path) -> None:  # noqa: ANN001
    live = index_factory(tmp_path / "index")
    try:
        live.add(texts(5, "alpha"))
        live.commit()
        before = live.identity()
        staged = live.begin_rebuild()
        staged.add(texts(3, "beta"))
        staged.commit()
        live.discard(staged)
        assert live.count() == 5 and live.identity() == before
    finally:
        live.close()


def test_chartdesk_index_rebuild_keeps_the_embedded_index_whole(desk: Desk) -> None:  # noqa: F811
    """`rebuild` on tantivy with a live reader searching throughout: every search
    finds all 120 documents, and the index folder is the rebuilt one."""
    for i in range(1, 121):
        add_document(desk, i, [f"report {i} on asthma"])
    while index_pending(desk.db, desk.settings, worker_id=WORKER):
        pass
    live = LiveIndex.open(desk.db, desk.settings)
    before = live.index.identity()
    try:
        with Watcher(lambda: live.search("asthma", visible=MatchAll(), limit=0).total) as watcher:
            assert rebuild(desk.db, desk.settings, batch_size=25) == 120
            count = len(watcher.totals)
            watcher.wait_for(lambda seen: len(seen) > max(count, 3), "searched after the rebuild")
        assert not watcher.errors, watcher.errors
        assert len(watcher.totals) > 3 and set(watcher.totals) == {120}
    finally:
        live.close()
    index = open_index(desk.settings, writer=False)
    try:
        assert index.identity() != before and index.count() == 120
    finally:
        index.close()
    assert (desk.settings.index_dir / "tantivy").is_symlink()
    assert pending(desk) == 0
    assert rebuild(desk.db, desk.settings) == 120  # and again, from the switched folder
