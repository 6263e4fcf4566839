"""The watcher's policy: when a file is complete, and whether it is safe to open."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartdesk.errors import UnsafeFileError
from chartdesk.ingest import StabilityTracker, check_safe, inbox_files, is_temp_name


def test_a_growing_file_is_not_ready_until_it_stops_changing(tmp_path: Path) -> None:
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF-1.4 part one")
    tracker = StabilityTracker(stable_seconds=2.0)
    tracker.note(f, now=0.0)
    assert tracker.ready(now=1.0) == []
    with f.open("ab") as out:
        out.write(b" part two")
    assert tracker.ready(now=1.5) == []  # changed: the clock starts again
    assert tracker.ready(now=3.0) == []
    assert tracker.ready(now=3.6) == [f]
    assert len(tracker) == 0


def test_a_closed_file_is_ready_at_once(tmp_path: Path) -> None:
    f = tmp_path / "fax.tif"
    f.write_bytes(b"II*\x00")
    tracker = StabilityTracker(stable_seconds=60.0)
    tracker.closed(f, now=10.0)
    assert tracker.ready(now=10.05) == [f]


def test_a_file_that_vanishes_is_forgotten(tmp_path: Path) -> None:
    f = tmp_path / "x.pdf"
    f.write_bytes(b"x")
    tracker = StabilityTracker(stable_seconds=0)
    tracker.note(f, now=0)
    f.unlink()
    assert tracker.ready(now=5) == []
    assert len(tracker) == 0


@pytest.mark.parametrize("name", ["scan.pdf.tmp", "SCAN.PART", "~$letter.pdf", ".hidden.pdf", "a.crdownload"])
def test_scanner_temp_names_are_ignored(name: str) -> None:
    assert is_temp_name(name, ["*.tmp", "*.part", "~*", ".*", "*.crdownload"])


def test_ordinary_names_are_taken() -> None:
    assert not is_temp_name("Scan 2026-03-04 (1).pdf", ["*.tmp", "*.part", "~*", ".*"])


def test_symlinks_fifos_and_escapes_are_refused(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"%PDF-1.4")
    link = inbox / "link.pdf"
    link.symlink_to(outside)
    fifo = inbox / "pipe.pdf"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeFileError, match="symbolic link"):
        check_safe(link, inbox)
    with pytest.raises(UnsafeFileError, match="not an ordinary file"):
        check_safe(fifo, inbox)
    with pytest.raises(UnsafeFileError, match="outside its inbox"):
        check_safe(outside, inbox)
    ok = inbox / "ok.pdf"
    ok.write_bytes(b"%PDF-1.4")
    assert check_safe(ok, inbox).st_size == 8


def test_inbox_listing_recurses_skips_temp_names_and_does_not_follow_dir_links(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "b.pdf").write_bytes(b"x")
    (inbox / "a.pdf").write_bytes(b"x")
    (inbox / "a.pdf.part").write_bytes(b"x")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "c.pdf").write_bytes(b"x")
    (inbox / "linked").symlink_to(elsewhere, target_is_directory=True)
    names = sorted(p.relative_to(inbox).as_posix() for p in inbox_files(inbox, ["*.part"]))
    assert names == ["a.pdf", "sub/b.pdf"]


def test_a_file_seen_being_written_waits_for_its_close_however_long_the_pause(tmp_path: Path) -> None:
    """Given write events and a writer that pauses longer than the stability
    window, the file is not taken until the kernel reports it closed."""
    f = tmp_path / "incoming.tif"
    f.write_bytes(b"II*\x00 first half")
    tracker = StabilityTracker(stable_seconds=2.0, open_grace_seconds=120.0)
    tracker.note(f, now=0.0, writing=True)
    tracker.note(f, now=5.0)  # a periodic sweep sees it unchanged
    assert tracker.ready(now=30.0) == []
    tracker.closed(f, now=31.0)
    assert tracker.ready(now=31.1) == [f]


def test_a_missed_close_is_covered_by_the_grace_period(tmp_path: Path) -> None:
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF")
    tracker = StabilityTracker(stable_seconds=2.0, open_grace_seconds=60.0)
    tracker.note(f, now=0.0, writing=True)
    assert tracker.ready(now=59.0) == []
    assert tracker.ready(now=61.0) == [f]
