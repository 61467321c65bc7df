"""The digest flow and CLI are thin: they call run_digest and publish the Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "seascout.toml"
    path.write_text('[digest]\nformats = ["md", "html", "atom"]\n', encoding="utf-8")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "home"))
    return path


def test_cli_digest_writes_outputs(config_file: Path, tmp_path: Path) -> None:
    from seascout.app.cli import app
    from warehouse.db import Warehouse

    Warehouse(tmp_path / "home" / "seascout.duckdb").ensure_schema()  # digest needs a warehouse
    result = CliRunner().invoke(app, ["digest", "--period", "2026-W48", "--no-deliver",
                                      "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    md = tmp_path / "home" / "digests" / "2026-W48" / "seascout-2026-W48.md"
    assert md.read_text(encoding="utf-8").startswith("[TOC]")
    bad = CliRunner().invoke(app, ["digest", "--period", "2026-48", "--config", str(config_file)])
    assert bad.exit_code == 2


def test_flow_publishes_markdown_artifact(config_file: Path, prefect_harness) -> None:  # type: ignore[no-untyped-def]
    from flows.digest import digest_flow

    out = digest_flow(config_path=str(config_file), period="2026-W48", deliver=False)
    assert out["digest_id"] == "2026-W48" and not out["errors"]
