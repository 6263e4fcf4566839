"""What every command shares: the environment (config path, verbosity) and
opening the installation lazily, so `--help` never touches the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from chartdesk import config as config_mod
from chartdesk.app import App, open_app
from chartdesk.config import Settings


@dataclass
class Env:
    config_path: Path
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _app: App | None = field(default=None, repr=False)

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


pass_env = click.make_pass_decorator(Env)
