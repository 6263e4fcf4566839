"""`chartdesk classifier ...`: the document-class model."""

from __future__ import annotations

import json

import click

from chartdesk import access, classify
from chartdesk.commands.base import Env, pass_env


@click.group("classifier")
def classifier_group() -> None:
    """The document classifier: train it again from staff corrections, show what it is."""


@classifier_group.command("train")
@pass_env
def train_cmd(env: Env) -> None:
    """Train on the seed corpus and staff corrections; print the held-out report."""
    principal = env.principal()
    access.require(principal, "reclassify")
    app = env.app()
    report = classify.retrain(app.settings, app.db.read)
    click.echo(json.dumps(report.as_dict(), indent=2))


@classifier_group.command("info")
@pass_env
def info_cmd(env: Env) -> None:
    """The model in use: its version and the report of its training."""
    env.principal()
    try:
        _model, report = classify.load(classify.model_path(env.settings))
    except classify.ModelUnusable as exc:
        click.echo(f"no usable model ({exc.reason}); it is trained on first use or by `chartdesk classifier train`")
        return
    click.echo(json.dumps(report, indent=2))


COMMANDS: list[click.Command] = [classifier_group]
