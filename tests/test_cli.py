"""The CLI end to end on a fresh warehouse: seed, sql (table/csv/json), export."""

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from seascout.app.cli import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "seascout.toml"
    cfg.write_text(f'seeds_dir = "{ROOT / "seeds"}"\n', encoding="utf-8")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    runner = CliRunner()

    def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        bare = args[0] in ("--help", "--version")
        result = runner.invoke(app, list(args) if bare else [*args, "--config", str(cfg)])
        if ok:
            assert result.exit_code == 0, result.output
        return result
    return run


def test_seed_reports_the_survey_and_is_idempotent(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("seed").output
    assert "5 sections, 18 entries, 11 distinct DOIs (6 journal, 5 arXiv)" in out
    assert "18 new" in out
    assert "0 new, 0 updated, 18 unchanged" in cli("seed").output


def test_sql_lists_entries_by_section_in_every_format(cli) -> None:  # type: ignore[no-untyped-def]
    cli("seed")
    q = "SELECT section, count(*) AS n FROM relevant_works GROUP BY section ORDER BY section"
    table = cli("sql", q).output
    assert "5 row(s)" in table
    rows = list(csv.reader(io.StringIO(cli("sql", q, "--format", "csv").output)))
    assert rows == [["section", "n"], ["1", "5"], ["2", "7"], ["3", "3"], ["4", "1"], ["5", "2"]]
    data = json.loads(cli("sql", q, "--format", "json").output)
    assert data[0] == {"section": 1, "n": 5}


def test_sql_csv_ends_lines_as_a_shell_expects(capfd: pytest.CaptureFixture[str]) -> None:
    from seascout.app.cli import _print_rows

    # (CliRunner folds \r\n in its output, so the writer is read from the file descriptor)
    _print_rows(["section", "n"], [(1, 5), (2, 7)], "csv")
    assert capfd.readouterr().out == "section,n\n1,5\n2,7\n"


def test_sql_on_an_80_column_terminal_shows_every_cell_whole(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from seascout.app import cli as cli_module

    monkeypatch.setattr(cli_module.console, "width", 80)
    cli("seed")
    q = ("SELECT entry AS digest_entry_number, heading AS entry_heading_in_the_survey, "
         "citation FROM seed_entries ORDER BY section, entry LIMIT 2")
    rows = json.loads(cli("sql", q, "--format", "json").output)
    out = cli("sql", q).output
    assert all(r["entry_heading_in_the_survey"] in out for r in rows), out  # whole, not `dig…`
    assert "digest_entry_number | 1.1" in out and "2 row(s)" in out
    assert "│" in cli("sql", "SELECT 1 AS n").output  # a table still when it fits


def test_version_is_printed(cli) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    assert cli("--version").output.strip() == f"seascout {version('seascout')}"


def test_sql_refuses_writes_and_explains(cli) -> None:  # type: ignore[no-untyped-def]
    cli("seed")
    result = cli("sql", "DROP TABLE works", ok=False)
    assert result.exit_code == 2 and "read-only" in result.output


def test_sql_before_any_seed_says_what_to_do(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("sql", "SELECT 1", ok=False)
    assert result.exit_code != 0 and "seascout seed" in str(result.output) + str(result.exception)


def test_export_writes_parquet_per_relation(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("seed")
    out = tmp_path / "parquet"
    cli("export", "--parquet", str(out))
    assert pq.read_table(out / "works.parquet").num_rows == 18
    assert pq.read_table(out / "relevant_works.parquet").num_rows == 18


def test_bad_config_is_reported_with_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[sources.arxiv]\nenabeld = false\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["seed", "--config", str(cfg)])
    assert result.exit_code == 2
    assert f"{cfg}:2" in result.output and "enabled" in result.output


@pytest.mark.parametrize("statement, creates", [
    ("ATTACH 'x.duckdb' AS e; CREATE TABLE e.t AS SELECT 1 AS a", "x.duckdb"),
    ("COPY (SELECT * FROM works) TO 'stolen.csv'", "stolen.csv"),
    ("SELECT * FROM read_csv('/etc/hostname')", None),
    ("INSTALL httpfs", None),
    ("LOAD httpfs", None),
    ("SET enable_external_access = true", None),
    ("EXPORT DATABASE 'dump'", "dump"),
])
def test_sql_reaches_nothing_outside_the_warehouse(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   statement: str, creates: str | None) -> None:  # type: ignore[no-untyped-def]
    cli("seed")
    monkeypatch.chdir(tmp_path)
    result = cli("sql", statement, ok=False)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("query error"), result.output
    assert "seascout sql reads the warehouse only" in lines[0] or "read-only" in lines[0]
    if creates:
        assert not (tmp_path / creates).exists()
    assert cli("sql", "SELECT count(*) AS n FROM works", "--format", "csv").output.split() == ["n", "18"]


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    home = tmp_path / "data"
    home.mkdir()
    (home / "seascout.duckdb").write_bytes(b"the user's warehouse")
    result = CliRunner().invoke(app, ["demo", "--home", str(home)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not made by `seascout demo`" in lines[0], result.output
    assert (home / "seascout.duckdb").read_bytes() == b"the user's warehouse"
    assert sorted(p.name for p in home.iterdir()) == ["seascout.duckdb"]


def test_demo_empties_only_its_own_folder(tmp_path: Path) -> None:
    from testing.demo import DEMO_MARKER, claim_home

    home = tmp_path / "demo"
    claim_home(home)  # new: created, marked
    (home / "seascout.duckdb").write_bytes(b"last demo's warehouse")
    (home / "digests" / "2026-W50").mkdir(parents=True)
    (home / "cache" / "triage").mkdir(parents=True)
    (home / "cache" / "triage" / "offline-abc.pkl").write_bytes(b"a fitted model")
    claim_home(home)  # an earlier demo's: emptied, but for its derived files
    assert sorted(p.name for p in home.iterdir()) == [DEMO_MARKER, "cache"]
    assert (home / "cache" / "triage" / "offline-abc.pkl").read_bytes() == b"a fitted model"
    empty = tmp_path / "empty"
    empty.mkdir()
    claim_home(empty)  # an empty folder is fine
    assert (empty / DEMO_MARKER).is_file()


@pytest.mark.parametrize("args, says", [
    (["seed"], "seeds folder not found"),
    (["weekly"], "seeds folder not found"),
    (["sql", "SELECT 1"], "no warehouse yet"),
    (["export", "--parquet", "out"], "no warehouse yet"),
    (["triage"], "no warehouse yet"),
    (["digest", "--no-deliver"], "no warehouse yet"),
])
def test_a_command_in_an_empty_folder_fails_in_one_line_and_creates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str) -> None:
    monkeypatch.chdir(tmp_path)  # no config, no seeds/, no data/: a new user's first try
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # an exit, not a crash
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_weekly_with_an_empty_seeds_folder_says_there_is_no_survey(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    result = CliRunner().invoke(app, ["weekly"])
    assert result.exit_code == 2
    assert "no survey document" in result.output and "unchanged" not in result.output
    assert not (tmp_path / "data").exists()


def test_seed_if_changed_never_calls_a_missing_survey_unchanged(warehouse, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from seascout.core.survey import SurveyError
    from warehouse.seeds import seed_if_changed

    with pytest.raises(SurveyError, match="seeds folder not found"):
        seed_if_changed(warehouse, tmp_path / "seeds")


def test_export_into_a_file_fails_in_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("seed")
    target = tmp_path / "out"
    target.write_text("not a folder", encoding="utf-8")
    result = cli("export", "--parquet", str(target), ok=False)
    assert result.exit_code == 2 and "is not a folder" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["weekly", "eval", "digest", "sql", "demo"])
def test_help_shows_no_value_after_a_flag(name: str) -> None:
    out = CliRunner().invoke(app, [name, "--help"]).output
    assert "<bool>" not in out and "--help" in out, out


def test_a_lowercase_period_is_the_same_week() -> None:
    from seascout.core.period import parse_period

    assert parse_period("2026-w48", "Asia/Shanghai").id == "2026-W48"


def test_the_demo_lists_its_files_in_aligned_columns(tmp_path: Path) -> None:
    from testing.demo import DemoEnvironment, Mailbox, describe

    env = DemoEnvironment(tmp_path, tmp_path / "seascout.toml", None, Mailbox(tmp_path / "outbox"))  # type: ignore[arg-type]
    result = {"run_id": "r", "status": "ok",
              "digest": {"md": "/d/x.md", "archive": "/d/index.html", "atom": "/d/atom.xml"},
              "counts": {"survey": {"files": {"md": "/s/exported-20261202-01.md"}}}}
    lines = describe(env, result, 1.0)
    assert "  digest archive  /d/index.html" in lines and "  digest md       /d/x.md" in lines
    assert "  survey md       /s/exported-20261202-01.md" in lines
    column = {line.index("/") for line in lines[1:]
              if line.lstrip()[:3] in ("war", "con", "dig", "sur")}
    assert len(column) == 1, lines  # every path starts in the same column
