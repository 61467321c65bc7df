"""`seascout sql` cannot write even into DuckDB's temp folder, stops a query that runs too
long and caps its memory, each refusal in one line (issue 23 item 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from seascout.app.cli import app
from warehouse.db import Warehouse
from warehouse.query import QueryError, run_query

ROOT = Path(__file__).resolve().parents[1]
# 1.6·10^9 pairs: about 20 s on these 2 cores, far more than the 0.05 s allowed on any machine,
# yet finite, so a sandbox that failed to stop it fails the test instead of hanging it.
SLOW = "SELECT count(*) FROM range(40000) a, range(40000) b WHERE a.range + b.range = 7"


def test_copy_into_the_temp_folder_is_refused(warehouse: Warehouse) -> None:
    tmp = Path(f"{warehouse.path}.tmp")
    tmp.mkdir(exist_ok=True)  # DuckDB's temp folder, as a writing flow leaves it
    for target in (tmp / "evil.csv", tmp / "sub.parquet"):
        with pytest.raises(QueryError, match="seascout sql reads the warehouse only"):
            run_query(warehouse, f"COPY (SELECT 1 AS a) TO '{target}'")
    assert list(tmp.iterdir()) == []
    assert run_query(warehouse, "SELECT current_setting('temp_directory')")[1] == [("",)]


def test_a_slow_query_is_stopped_after_the_timeout(warehouse: Warehouse) -> None:
    with pytest.raises(QueryError, match=r"the query ran for 0.05 s and was stopped"):
        run_query(warehouse, SLOW, timeout=0.05)
    assert run_query(warehouse, "SELECT 41 + 1", timeout=0.05)[1] == [(42,)]  # the next one runs


def test_memory_is_capped_and_the_cap_cannot_be_lifted(warehouse: Warehouse,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_query(warehouse, "SELECT current_setting('memory_limit')")[1] == [("1.8 GiB",)]
    monkeypatch.setenv("SEASCOUT_SQL_MEMORY", "100MB")
    assert run_query(warehouse, "SELECT current_setting('memory_limit')")[1] == [("95.3 MiB",)]
    with pytest.raises(QueryError, match=r"configuration has been locked|disabled by configuration"):
        run_query(warehouse, "SET memory_limit = '64GB'")
    monkeypatch.setenv("SEASCOUT_SQL_MEMORY", "lots")
    with pytest.raises(QueryError, match="SEASCOUT_SQL_MEMORY='lots' is not a memory size"):
        run_query(warehouse, "SELECT 1")


def test_the_cli_says_a_stopped_query_in_one_line(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "seascout.toml"
    cfg.write_text(f'seeds_dir = "{ROOT / "seeds"}"\n', encoding="utf-8")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("SEASCOUT_SQL_TIMEOUT", "0.05")
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--config", str(cfg)]).exit_code == 0
    result = runner.invoke(app, ["sql", SLOW, "--config", str(cfg)])
    assert result.exit_code == 2  # a query error is bad input (README: exit codes)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("query error: the query ran for 0.05 s"), \
        result.output
    monkeypatch.setenv("SEASCOUT_SQL_TIMEOUT", "soon")
    result = runner.invoke(app, ["sql", "SELECT 1", "--config", str(cfg)])
    assert result.exit_code == 2 and "SEASCOUT_SQL_TIMEOUT='soon' is not a number" in result.output
