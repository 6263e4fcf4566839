"""The files around the database that a backup keeps besides the originals:
quarantined files (nothing a user dropped is lost), page images (optional) and
the classifier model. Each is found by its area and relative path, and copied
into the pool only when it changed since the previous backup in the location
(same size and modification time: not read again)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from chartdesk.backup.manifest import Manifest, PoolEntry
from chartdesk.backup.pool import PoolWriter
from chartdesk.backup.progress import Progress
from chartdesk.config import Settings

QUARANTINE = "quarantine"
DERIVED = "derived"
MODEL = "model"
STORE = "store"


def area_roots(settings: Settings) -> dict[str, Path]:
    roots = {QUARANTINE: settings.quarantine_dir}
    if settings.backup.page_images:
        roots[DERIVED] = settings.derived_dir
    return roots


def model_file(settings: Settings) -> Path:
    from chartdesk import classify  # lazily: only backups need the classify room


    return classify.model_path(settings)


def target(settings: Settings, entry: PoolEntry) -> Path:
    """Where a restored extra goes in the installation described by `settings`."""
    if entry.area == MODEL:
        return model_file(settings)
    root = {QUARANTINE: settings.quarantine_dir, DERIVED: settings.derived_dir}[entry.area]
    path = (root / entry.path).resolve()
    if root.resolve() not in path.parents:
        raise ValueError("a path in the manifest leaves its folder")
    return path


def found_files(settings: Settings) -> Iterator[tuple[str, str, Path]]:
    """(area, relative path, file) for every extra to keep now."""
    for area, root in area_roots(settings).items():
        for folder, _dirs, files in os.walk(root):
            for name in sorted(files):
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink():
                    yield area, path.relative_to(root).as_posix(), path
    model = model_file(settings)
    if model.is_file():
        yield MODEL, model.name, model


def copy_extras(settings: Settings, writer: PoolWriter, previous: Manifest | None,
                progress: Progress) -> list[PoolEntry]:
    before = {(e.area, e.path): e for e in previous.pool} if previous else {}
    found = list(found_files(settings))
    progress.phase("page images, quarantine, model", len(found))
    entries = []
    for area, rel, path in found:
        entries.append(_entry(writer, before.get((area, rel)), area, rel, path))
        progress.advance()
    return entries


def _entry(writer: PoolWriter, old: PoolEntry | None, area: str, rel: str, path: Path) -> PoolEntry:
    stat = path.stat()
    if old and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns and writer.has(old.sha256, old.size):
        return old
    sha256, size = writer.add(path)
    return PoolEntry(area, rel, sha256, size, stat.st_mtime_ns)
