"""One CLI error boundary (issue 22 item 3) and an unusable data folder (issue 24 item 7):
every command ends a user's mistake in one line on stderr, with one exit code per kind —
2 bad input (option, config, survey, missing warehouse, data folder), 3 another run holds
the warehouse, 130 Ctrl-C (1, a run that failed, is tested with each run)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from seascout.app.cli import app

ROOT = Path(__file__).resolve().parents[1]
ZOTERO_ENV = {"ZOTERO_API_KEY": "k", "ZOTERO_LIBRARY": "users/1"}


def _one_line(result, code: int, says: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # an exit, not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in ZOTERO_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "data"))
    (tmp_path / "seascout.toml").write_text(f'seeds_dir = "{ROOT / "seeds"}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def test_every_command_runs_behind_the_one_boundary() -> None:
    unguarded = [c.name or c.callback.__name__ for c in app.registered_commands
                 if c.callback is not None and not getattr(c.callback, "one_line_errors", False)]
    assert unguarded == []


# (command, what the one line says) with no warehouse yet: exit 2 from every command
NO_WAREHOUSE = [
    (["sql", "SELECT 1"], "no warehouse yet"),
    (["export", "--parquet", "out"], "no warehouse yet"),
    (["export", "--format", "bibtex"], "no warehouse yet"),
    (["export", "--format", "ris", "--survey"], "no warehouse yet"),
    (["triage"], "no warehouse yet"),
    (["digest", "--no-deliver"], "no warehouse yet"),
    (["survey"], "no warehouse yet"),
    (["decide", "doi:10.1/x", "--keep"], "no warehouse yet"),
    (["review", "--port", "0"], "no warehouse yet"),
    (["zotero", "push"], "no warehouse yet"),
]


@pytest.mark.parametrize("args, says", NO_WAREHOUSE, ids=[" ".join(a[:2]) for a, _ in NO_WAREHOUSE])
def test_a_missing_warehouse_is_bad_input_for_every_command(home: Path, args: list[str],
                                                            says: str) -> None:
    _one_line(CliRunner().invoke(app, args), 2, says)
    assert not (home / "seascout.duckdb").exists()


BAD_PERIOD = [["digest", "--period", "2026-48"], ["export", "--format", "ris", "--period", "W48"],
              ["review", "--period", "last", "--port", "0"], ["zotero", "push", "--period", "x"]]


def test_a_bad_period_is_bad_input_for_every_command(home: Path) -> None:
    assert CliRunner().invoke(app, ["seed"]).exit_code == 0
    for args in BAD_PERIOD:
        _one_line(CliRunner().invoke(app, args), 2, "period error")


@pytest.mark.parametrize("args", [["seed"], ["sql", "SELECT 1"], ["decide", "x", "--keep"],
                                  ["review"], ["zotero", "push"], ["export", "--format", "ris"]],
                         ids=lambda a: a[0])
def test_a_bad_config_is_bad_input_for_every_command(home: Path, args: list[str]) -> None:
    (home.parent / "seascout.toml").write_text("[digest]\ntimezone = 'Mars/Olympus'\n",
                                               encoding="utf-8")
    _one_line(CliRunner().invoke(app, args), 2, "config error")


@pytest.fixture
def held(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another run holds the warehouse (a thread of its own: the lock is re-entrant within
    one thread); commands wait for it no time at all."""
    from warehouse.run_lock import exclusive_run

    monkeypatch.setenv("SEASCOUT_RUN_WAIT", "0")
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with exclusive_run(home / "seascout.duckdb", "weekly"):
            taken.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait()
    try:
        yield
    finally:
        release.set()
        holder.join()


@pytest.mark.parametrize("args", [["crawl"], ["weekly"],
                                  ["backfill", "--since", "2024-01-01", "--until", "2024-01-31"]],
                         ids=lambda a: a[0])
def test_a_run_holding_the_warehouse_exits_3(home: Path, held: None, args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    assert result.stderr.strip().splitlines()[-1].startswith("warehouse busy: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, target", [
    (["seed"], "warehouse.seeds.store_survey"),
    (["sql", "SELECT 1"], "warehouse.query.run_query"),
    (["decide", "x", "--keep"], "warehouse.decisions_store.decide"),
], ids=lambda v: v[0] if isinstance(v, list) else "")
def test_ctrl_c_exits_130_from_every_command(home: Path, monkeypatch: pytest.MonkeyPatch,
                                             args: list[str], target: str) -> None:
    if args[0] != "seed":
        assert CliRunner().invoke(app, ["seed"]).exit_code == 0

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(target, interrupted)
    _one_line(CliRunner().invoke(app, args), 130, "interrupted")


# -- issue 24 item 7: a data folder that is a file or read-only ---------------------------------
@pytest.mark.parametrize("args", [["seed"], ["weekly"]], ids=lambda a: a[0])
def test_a_data_folder_that_is_a_file_is_one_line(home: Path, args: list[str]) -> None:
    home.write_text("not a folder", encoding="utf-8")
    _one_line(CliRunner().invoke(app, args), 2, f"{home} (SEASCOUT_HOME) is a file")
    assert "SEASCOUT_HOME to a folder you can write" in CliRunner().invoke(app, args).stderr
    nested = home / "sub"
    os.environ["SEASCOUT_HOME"] = str(nested)  # restored by the fixture's monkeypatch
    _one_line(CliRunner().invoke(app, args), 2, f"cannot be made: {home} is a file")


def _read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """`folder` read-only as the OS says it (root may write anywhere, so chmod proves nothing
    when the tests run as root)."""
    import seascout.app.runtime

    real = seascout.app.runtime.writable
    monkeypatch.setattr(seascout.app.runtime, "writable",
                        lambda p: False if Path(p) == folder else real(p))


@pytest.mark.parametrize("args", [["seed"], ["weekly"]], ids=lambda a: a[0])
def test_a_read_only_data_folder_is_one_line(home: Path, monkeypatch: pytest.MonkeyPatch,
                                             args: list[str]) -> None:
    home.mkdir()
    _read_only(monkeypatch, home)
    _one_line(CliRunner().invoke(app, args), 2, f"{home} (SEASCOUT_HOME) is read-only")
    assert list(home.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_really_read_only_data_folder_is_one_line(home: Path) -> None:
    home.mkdir()
    home.chmod(0o555)
    try:
        _one_line(CliRunner().invoke(app, ["seed"]), 2, "is read-only")
    finally:
        home.chmod(0o755)


def test_the_demo_in_a_read_only_or_file_home_is_one_line(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ro"
    target.mkdir()
    _read_only(monkeypatch, target)
    _one_line(CliRunner().invoke(app, ["demo", "--home", str(target)]), 2,
              f"{target} (--home) is read-only — pass --home a folder you can write")
    as_file = tmp_path / "file"
    as_file.write_text("x", encoding="utf-8")
    _one_line(CliRunner().invoke(app, ["demo", "--home", str(as_file)]), 2, "is not a folder")


def test_a_folder_that_refuses_a_write_later_is_one_line(home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """An OS refusal the first check could not see (a sub-folder made read-only) names the
    path, not a traceback."""
    def refused(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", str(home / "seascout.duckdb"))

    monkeypatch.setattr("warehouse.seeds.store_survey", refused)
    _one_line(CliRunner().invoke(app, ["seed"]), 2, f"{home / 'seascout.duckdb'}: Permission denied")


def test_a_full_disk_while_writing_is_one_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An ENOSPC without a file name (the digest's export writes) still ends in one line."""
    import errno

    import seascout.app.cli as cli

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    guarded = cli._one_line_errors(full)
    with pytest.raises(typer.Exit) as exc:
        guarded()
    assert exc.value.exit_code == cli.EXIT_FAILED
