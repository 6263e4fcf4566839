"""The services of one installation, opened from its settings.

`open_app` is called by entry points (CLI, service, web, tests); everything
below them receives the pieces it needs as values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chartdesk.config import Settings
from chartdesk.db import Database
from chartdesk.errors import ConfigError
from chartdesk.store import BlobStore

# Filesystems on which SQLite's locking cannot be trusted.
_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb", "smb2", "smbfs", "fuse.sshfs", "afs", "9p"}


@dataclass
class App:
    settings: Settings
    db: Database
    store: BlobStore

    def derived_dir(self, doc_id: int) -> Path:
        return self.settings.derived_dir / str(doc_id)

    def close(self) -> None:
        self.db.dispose()


def open_app(settings: Settings, *, create: bool = False) -> App:
    """Open an installation. With `create`, make its folders and schema first."""
    data = settings.data_dir
    if create:
        prepare_data_dir(settings)
    elif not (data / "chartdesk.db").exists():
        raise ConfigError(
            f"no chartdesk data in {data}",
            remedy="run `chartdesk init` first (or check paths.data_dir in the config)",
        )
    check_local_filesystem(data)
    db = Database(settings.database_url)
    if create:
        from chartdesk import audit

        db.create()
        audit.ensure_ready(settings, db)
    return App(settings=settings, db=db, store=BlobStore(settings.store_dir))


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory (0700: only the service's account may read it)."""
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o700)
    for sub in (settings.store_dir, settings.derived_dir, settings.quarantine_dir,
                settings.index_dir, settings.keys_dir):
        sub.mkdir(parents=True, exist_ok=True, mode=0o700)
    for inbox in settings.inboxes:
        inbox.path.mkdir(parents=True, exist_ok=True)


def check_local_filesystem(path: Path) -> None:
    """Refuse a data directory on a network filesystem (SQLite locks fail there)."""
    fstype = filesystem_type(path)
    if fstype in _NETWORK_FS:
        raise ConfigError(
            f"the data directory {path} is on a network filesystem ({fstype})",
            remedy="put paths.data_dir on a local disk; network shares may be used as inboxes (mode = \"polling\")",
        )


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding `path`, from /proc/mounts ('' if unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    target = path.resolve()
    best, best_type = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == Path(mount_point) or Path(mount_point) in target.parents) and len(mount_point) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type
