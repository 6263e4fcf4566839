"""`chartdesk backup passphrase`: give an encrypted location a new passphrase.

The location's data key is wrapped again under the new passphrase (keys.rewrap);
no backed-up file changes, so it takes a second whatever the location holds. The
old passphrase (backup.passphrase_file or CHARTDESK_BACKUP_PASSPHRASE) must open
it first. Anyone who kept a copy of the old key.json can still open the backups
taken so far with the old passphrase; to shut them out, start a new location.
Audited as a retention act, under the location's lock (no backup runs meanwhile).
"""

from __future__ import annotations

from pathlib import Path

from chartdesk import audit
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.backup.errors import NotABackupError, PassphraseRequiredError
from chartdesk.backup.keys import read_passphrase, rewrap
from chartdesk.backup.layout import Location
from chartdesk.errors import UsageError


def change_passphrase(app: App, principal: Principal, root: Path, new: str) -> None:
    """Re-wrap the key of the encrypted location at `root` under `new`."""
    location = Location(root)
    if not location.exists():
        raise NotABackupError(root)
    if not location.encrypted:
        raise UsageError(f"the backup location {root} is not encrypted, so it has no passphrase",
                         remedy="back up into a new, empty location with a backup passphrase configured")
    old = read_passphrase(app.settings.backup)
    if old is None:
        raise PassphraseRequiredError(root, "changing its passphrase")
    if new == old:
        raise UsageError("the new backup passphrase is the one the location has",
                         remedy="choose a different passphrase")
    with location.locked():
        rewrap(root, old, new)
        with app.db.write() as conn:
            audit.record(conn, audit.RetentionAct(principal=principal, act="backup_passphrase_changed",
                                                  reason="the backup location's passphrase was changed",
                                                  extra={"location": str(root)}))
