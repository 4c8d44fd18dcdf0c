"""Every CLI command has help text and is documented in the README; README opens with two commands."""

from __future__ import annotations

import click

from intel.cli import cli
from intel.config import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "intel") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix} {name}", cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, f"{prefix} {name}"))
    return out


def test_every_command_has_help_and_is_documented():
    for path, cmd in _commands(cli):
        assert (cmd.help or "").strip(), f"{path} has no help"
        assert f"`{path}" in README, f"{path} is not in README.md"


def test_readme_starts_with_demo_and_test_commands():
    first_block = README.split("```")[1]
    lines = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip() and ln != "bash"]
    assert lines == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
