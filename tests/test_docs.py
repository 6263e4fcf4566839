"""Docs that cannot drift: every setting is documented in config.toml, every CLI
command in the README's command reference."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator

import click
from pydantic import BaseModel

from chartdesk.cli import cli
from chartdesk.config import Settings
from tests.conftest import REPO

CONFIG = (REPO / "config.toml").read_text()
README = (REPO / "README.md").read_text()


def _settings_fields(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _settings_fields(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _documented_keys() -> set[str]:
    """Keys that appear in config.toml, set or as a commented-out example, each
    with a comment line directly above (or above its group)."""
    keys: set[str] = set()
    section = ""
    for line in CONFIG.splitlines():
        stripped = line.strip()
        header = re.match(r"^#?\s*\[\[?([a-z0-9_.]+)\]\]?\s*$", stripped)
        if header:
            section = header.group(1)
            continue
        key = re.match(r"^#?\s*([a-z_][a-z0-9_]*)\s*=", stripped)
        if key:
            keys.add(f"{section}.{key.group(1)}" if section else key.group(1))
    return keys


def test_every_setting_is_in_config_toml() -> None:
    documented = _documented_keys()
    missing = []
    for section, field in Settings.model_fields.items():
        if section == "config_path":
            continue
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            for key in _settings_fields(inner, f"{section}."):
                top = key.split(".")
                if key not in documented and not any(d.startswith(f"{top[0]}.") and d.endswith(f".{top[-1]}") for d in documented):
                    missing.append(key)
    assert not missing, f"settings not documented in config.toml: {missing}"


def test_config_toml_parses_and_every_key_has_a_comment() -> None:
    """A key needs a comment directly above it (or above its group of keys). In
    repeated tables such as [classes.x], documenting a key once is enough."""
    tomllib.loads(CONFIG)
    lines = CONFIG.splitlines()
    documented: set[tuple[str, str]] = set()
    undocumented = []
    parent = ""
    for i, line in enumerate(lines):
        header = re.match(r"^\[\[?([a-z0-9_.]+)\]\]?", line)
        if header:
            parent = header.group(1).rsplit(".", 1)[0] if "." in header.group(1) else header.group(1)
            continue
        key = re.match(r"^([a-z_][a-z0-9_]*)\s*=", line)
        if not key:
            continue
        j = i - 1
        while j >= 0 and re.match(r"^[a-z_][a-z0-9_]*\s*=", lines[j]):
            j -= 1  # a group of keys under one comment
        if j >= 0 and (lines[j].startswith("#") or (lines[j].startswith("[") and j > 0 and lines[j - 1].startswith("#"))):
            documented.add((parent, key.group(1)))
        elif (parent, key.group(1)) not in documented:
            undocumented.append(line)
    assert not undocumented, f"keys without a comment: {undocumented}"


def _commands(group: click.Group, prefix: str = "chartdesk") -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path


def test_every_cli_command_is_in_the_readme() -> None:
    missing = [c for c in _commands(cli) if f"`{c}" not in README]
    assert not missing, f"commands missing from README's command reference: {missing}"
