"""serve: the web UI alone, without watchers or workers (e.g. on a second
machine, or while the pipeline runs under another service manager)."""

from __future__ import annotations

import click
from pydantic import ValidationError

from chartdesk.commands.base import Env, pass_env
from chartdesk.errors import ConfigError
from chartdesk.logs import configure_logging


@click.command()
@click.option("--host", default=None, help="address to listen on (default: web.host, normally 127.0.0.1)")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="port (default: web.port)")
@pass_env
def serve(env: Env, host: str | None, port: int | None) -> None:
    """Serve the web UI until Ctrl-C or SIGTERM (started as root: runs as web.service_user)."""
    from chartdesk.config import WebSettings
    from chartdesk.service import drop_privileges
    from chartdesk.web import WebServer

    settings = env.settings
    if host is not None:  # the same checks as config.toml (no plain HTTP to the network)
        try:
            web = WebSettings.model_validate({**settings.web.model_dump(), "host": host})
        except ValidationError as exc:
            raise ConfigError(exc.errors()[0]["msg"], remedy="use --host 127.0.0.1, or configure TLS or a proxy") from None
        settings = settings.model_copy(update={"web": web})
    configure_logging(max(env.verbose, 1))
    server = WebServer(settings, port=port)
    server.prepare()
    drop_privileges(settings)
    click.echo(f"chartdesk web UI on {server.url}  (stop with Ctrl-C)")
    server.serve_forever()


COMMANDS: list[click.Command] = [serve]
