"""Every command of `seascout` is in the README's command table and has a help text; the
table lists no command or option that does not exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from seascout.app.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
_ROW = re.compile(r"^\| `seascout ([a-z][\w-]*)(.*?)` \|")


def commands() -> dict[str, Any]:
    """name → command as registered in the typer app (typer ships its own click)."""
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def readme_rows() -> dict[str, str]:
    """command → the usage written in the README's table (`seascout sql "SELECT …" [--format …]`)."""
    rows: dict[str, str] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        if m := _ROW.match(line):
            rows.setdefault(m.group(1), "")
            rows[m.group(1)] += m.group(2)
    return rows


def test_the_cli_has_commands() -> None:
    assert {"seed", "crawl", "weekly", "backfill", "serve", "sql", "export"} <= set(commands())


def test_every_command_is_in_the_readme_table() -> None:
    documented = readme_rows()
    missing = sorted(set(commands()) - set(documented))
    extra = sorted(set(documented) - set(commands()))
    assert not missing, f"commands missing from the README's command table: {missing}"
    assert not extra, f"the README's command table lists commands that do not exist: {extra}"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_a_help_text(name: str) -> None:
    command = commands()[name]
    assert (command.help or "").strip(), f"`seascout {name}` has no help text (a docstring)"
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert command.help.split("\n")[0][:30] in " ".join(result.output.split())


@pytest.mark.parametrize("name", sorted(readme_rows()))
def test_options_in_the_readme_exist(name: str) -> None:
    if name not in commands():
        pytest.skip("reported by test_every_command_is_in_the_readme_table")
    written = set(re.findall(r"(--[a-z][a-z-]*)", readme_rows()[name]))
    real = {opt for p in commands()[name].params for opt in [*p.opts, *p.secondary_opts]}
    assert written <= real, f"`seascout {name}`: README shows {sorted(written - real)}, " \
                            f"the command has {sorted(real)}"
