"""After the demo (issue 24 item 3): the commands it suggests carry the demo's week, and an
export with nothing in it says so on stderr (exit 0 still)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from seascout.app.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_suggests_commands_on_its_own_week(tmp_path: Path) -> None:
    from testing.demo import DemoEnvironment, Mailbox, describe

    env = DemoEnvironment(tmp_path, tmp_path / "seascout.toml", None, Mailbox(tmp_path / "outbox"))  # type: ignore[arg-type]
    lines = describe(env, {"run_id": "r", "status": "ok"}, 1.0, "2026-W23")
    suggested = [line.split(" seascout ", 1)[1] for line in lines if " seascout " in line]
    for command in ("review", "export --format bibtex", "digest --no-deliver"):
        assert f"{command} --config {env.config_path} --period 2026-W23" in suggested, lines


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "seascout.toml").write_text(f'seeds_dir = "{ROOT / "seeds"}"\n', encoding="utf-8")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["seed"]).exit_code == 0
    return tmp_path


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csljson"])
def test_an_export_with_nothing_in_it_says_so(seeded: Path, fmt: str) -> None:
    result = CliRunner().invoke(app, ["export", "--format", fmt, "--period", "2020-W01"])
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("nothing to export: no entries first seen in 2020-W01 "
                           "(2019-12-30 … 2020-01-05)"), line
    assert "--period" in line and "--survey" in line


def test_an_export_with_entries_says_nothing_on_stderr(seeded: Path) -> None:
    result = CliRunner().invoke(app, ["export", "--format", "bibtex", "--survey"])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.count("@") >= 18  # the survey's own entries
