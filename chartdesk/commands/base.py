"""What every command shares: the environment (config path, verbosity) and
opening the installation lazily, so `--help` never touches the data."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from chartdesk import access
from chartdesk import config as config_mod
from chartdesk.access import Principal
from chartdesk.app import App, open_app
from chartdesk.config import Settings


@dataclass
class Env:
    config_path: Path
    verbose: int = 0
    user: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _app: App | None = field(default=None, repr=False)
    _principal: Principal | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = config_mod.load(self.config_path)
        return self._settings

    def app(self, *, create: bool = False) -> App:
        if self._app is None:
            self._app = open_app(self.settings, create=create)
            click.get_current_context().call_on_close(self._app.close)
        return self._app

    def principal(self, *, allow_temporary: bool = False, allow_token: bool = True) -> Principal:
        """The user this command acts as (logged in once per run, audited).

        Every command that reads or changes records calls this first; without a
        valid user it raises LoginRequiredError (exit 5) saying how to log in.
        `allow_temporary` lets a user whose password is temporary in (for `users passwd`);
        `allow_token=False` insists on the password (for `users token`).
        """
        if self._principal is None:
            ctx = click.get_current_context()
            verb = " ".join(ctx.command_path.split()[1:]) or ctx.info_name or "?"
            prompt = _ask_password if sys.stdin.isatty() else None
            self._principal = access.cli_login(
                self.app().db, self.settings, username=self.user, client=f"cli:{verb}",
                prompt=prompt, allow_temporary=allow_temporary, allow_token=allow_token,
            )
        return self._principal


def _ask_password(label: str) -> str:
    return str(click.prompt(label, hide_input=True, err=True))


pass_env = click.make_pass_decorator(Env)
