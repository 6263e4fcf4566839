"""The backup room's errors: what went wrong and what the office manager does next."""

from __future__ import annotations

from pathlib import Path

from chartdesk.errors import ChartdeskError, ConfigError, ConflictError, ExitCode, NotFoundError


class BackupDamagedError(ChartdeskError):
    """Verification found problems: checksums, sizes, a missing manifest, an audit
    chain that does not verify in the copy. `problems` lists them, one sentence each."""

    exit_code = ExitCode.bad_input
    http_status = 422

    def __init__(self, where: Path, problems: list[str]) -> None:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(
            f"the backup {where} is damaged: {shown}",
            remedy="do not rely on it: take a new backup now, and restore from an older backup if you need one",
        )
        self.where = where
        self.problems = problems


class BackupIncompleteError(ChartdeskError):
    """The backup was taken and kept, but the store lacked originals the database names."""

    exit_code = ExitCode.bad_input
    http_status = 422

    def __init__(self, where: Path, missing: int) -> None:
        super().__init__(
            f"the backup {where} was taken, but {missing} original file(s) could not be copied "
            "(missing or damaged in the store; the warnings above name the documents)",
            remedy="run `chartdesk status` and restore those originals from an older backup; "
                   "the backup is kept, as it holds everything else",
        )


class NotABackupError(NotFoundError):
    def __init__(self, where: Path) -> None:
        super().__init__(
            f"{where} holds no chartdesk backup",
            remedy="name the folder given to `chartdesk backup create`, or one of the backups in its sets/ folder",
        )


class NoDestinationError(ConfigError):
    def __init__(self) -> None:
        super().__init__(
            "no backup destination was given",
            remedy="name one (`chartdesk backup create /media/backup`) or set backup.location in the config",
        )


class LocationBusyError(ConflictError):
    def __init__(self, where: Path) -> None:
        super().__init__(
            f"another backup or prune is working on {where} right now",
            remedy="wait for it to finish, then try again",
        )


class RestoreRefusedError(ConflictError):
    """Restoring would replace live data (or the service is running on it)."""


class UnsupportedDatabaseError(ConfigError):
    def __init__(self) -> None:
        super().__init__(
            "backups are made for the embedded SQLite database only",
            remedy="back up a PostgreSQL database with pg_dump until chartdesk supports it",
        )


PASSPHRASE_ENV = "CHARTDESK_BACKUP_PASSPHRASE"
_GIVE_PASSPHRASE = (f"set backup.passphrase_file in the config (a file only chartdesk's account may read, "
                    f"holding the passphrase on its first line) or the environment variable {PASSPHRASE_ENV}")


class PassphraseRequiredError(ConfigError):
    """The location is encrypted and no passphrase was given."""

    def __init__(self, where: Path, doing: str) -> None:
        super().__init__(f"the backup location {where} is encrypted: {doing} needs its passphrase, "
                         "and none was given", remedy=_GIVE_PASSPHRASE)


class WrongPassphraseError(ChartdeskError):
    """The passphrase does not unwrap the location's data key."""

    exit_code = ExitCode.not_permitted
    http_status = 403

    def __init__(self, where: Path) -> None:
        super().__init__(
            f"the backup passphrase does not open the backup location {where} (a wrong passphrase, "
            "or its key.json is damaged)",
            remedy="give the passphrase this location was created with (backup.passphrase_file or "
                   f"{PASSPHRASE_ENV}); without it nobody can read these backups",
        )


class UnencryptedRefusedError(ConfigError):
    def __init__(self, where: Path) -> None:
        super().__init__(
            f"{where} would be a new backup location without encryption, because no backup passphrase "
            "is configured (anyone holding that disk could read every record)",
            remedy=f"{_GIVE_PASSPHRASE}, then run the backup again; or, to accept backups anyone with the "
                   "disk can read, run `chartdesk backup create --unencrypted`",
        )
