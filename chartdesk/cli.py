"""The command line: one verb per job, exit codes per error type.

This module only builds the command tree and turns errors into output; each
group of verbs lives in chartdesk/commands/. Tracebacks only with -v.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from chartdesk import config as config_mod
from chartdesk.commands import COMMANDS
from chartdesk.commands.base import Env
from chartdesk.errors import ChartdeskError, ExitCode
from chartdesk.logs import configure_logging

log = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="config file (default: $CHARTDESK_CONFIG or ./config.toml)",
)
@click.option("-v", "--verbose", count=True, help="more log output; -vv for debug and tracebacks")
@click.option(
    "--user",
    "user",
    envvar="CHARTDESK_USER",
    default=None,
    metavar="NAME",
    help="act as this user ($CHARTDESK_USER); password from a prompt, $CHARTDESK_PASSWORD or a token file",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, user: str | None) -> None:
    """chartdesk: the records desk of a medical office."""
    configure_logging(verbose)
    ctx.obj = Env(config_path=config_path or config_mod.default_config_path(), verbose=verbose, user=user)


for command in COMMANDS:
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="chartdesk", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(ExitCode.internal_error)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ChartdeskError as exc:
        if _verbose(argv) >= 2:
            log.exception("command failed")
        click.echo(f"error: {exc}", err=True)
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the one place that turns a crash into an exit code
        if _verbose(argv) >= 1:
            log.exception("internal error")
        else:
            click.echo("internal error (run again with -v for details)", err=True)
        sys.exit(ExitCode.internal_error)
    sys.exit(0)


def _verbose(argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return sum(a.count("v") for a in args if a.startswith("-v") and set(a[1:]) == {"v"}) + args.count("--verbose")


if __name__ == "__main__":
    main()
