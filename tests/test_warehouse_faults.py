"""A damaged warehouse file, a full disk and a quote in a path, through the CLI: one line on
stderr naming the file or folder and the fix, no traceback, the warehouse's bytes unchanged
(issue 23 item 16)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from seascout.app.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file in the warehouse folder (the file, its WAL if any)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    cfg = tmp_path / "seascout.toml"
    cfg.write_text(f'seeds_dir = "{ROOT / "seeds"}"\n', encoding="utf-8")
    monkeypatch.setenv("SEASCOUT_HOME", str(tmp_path / "state"))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, [*args, "--config", str(cfg)])
    return run


def _one_line_failure(result: Any) -> str:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return " ".join(lines[0].split())  # rich may wrap a long line: compare words


def _truncate_header(p: Path) -> None:
    p.write_bytes(p.read_bytes()[:5000])


def _truncate_half(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _zero_all(p: Path) -> None:
    p.write_bytes(bytes(p.stat().st_size))


def _zero_a_block(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[300 * 4096:500 * 4096] = bytes(200 * 4096)
    p.write_bytes(bytes(data))


DAMAGE = {
    "another file": lambda p: p.write_text("hello, not a database\n", encoding="utf-8"),
    "empty": lambda p: p.write_bytes(b""),
    "zeroed": _zero_all,
    "truncated header": _truncate_header,
    "truncated half": _truncate_half,
    "zeroed block": _zero_a_block,
}


COMMANDS = [("seed",), ("export", "--parquet", "OUT"), ("sql", "SELECT * FROM works, work_ids")]


# (a zeroed block lies in some table's data: `export` reads them all, this `sql` two tables)
@pytest.mark.parametrize(("damage", "command"), [
    (d, c) for d in DAMAGE for c in COMMANDS if (d, c[0]) != ("zeroed block", "sql")])
def test_a_damaged_warehouse_is_one_line_naming_it_and_left_as_it_is(
        cli: Callable[..., Any], tmp_path: Path, damage: str, command: tuple[str, ...]) -> None:
    assert cli("seed").exit_code == 0
    db = tmp_path / "state" / "seascout.duckdb"
    assert not db.with_name("seascout.duckdb.wal").exists()
    DAMAGE[damage](db)
    before = _snapshot(db.parent)
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    line = _one_line_failure(cli(*args))
    assert str(db) in line and "restore it from a backup" in line and "export --parquet" in line
    assert _snapshot(db.parent) == before  # not a byte written, no WAL, no new file


@contextmanager
def _full_disk_at_commit(wal: Path) -> Iterator[None]:
    """Every COMMIT fails as DuckDB's does when the disk is full (its message, verbatim)."""
    from warehouse import db as dbmodule

    real = dbmodule._Database.connection

    class FullDisk:
        def __init__(self, con: duckdb.DuckDBPyConnection):
            self._con = con

        def execute(self, sql: str, *args: Any) -> Any:
            if sql.strip().upper() == "COMMIT":
                raise duckdb.TransactionException(
                    f'TransactionContext Error: Failed to commit: Could not write file "{wal}": '
                    "No space left on device")
            return self._con.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._con, name)

    @contextmanager
    def connection(self: Any) -> Iterator[Any]:
        with real(self) as con:
            yield FullDisk(con)

    dbmodule._Database.connection = connection  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        dbmodule._Database.connection = real  # type: ignore[method-assign]


def test_a_full_disk_during_a_write_is_one_line_naming_the_folder(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    assert cli("seed").exit_code == 0
    state = tmp_path / "state"
    before = _snapshot(state)
    with _full_disk_at_commit(state / "seascout.duckdb.wal"):
        line = _one_line_failure(cli("seed"))
    assert line.endswith(f"{state}: no space left on device — free space, then rerun: the "
                         "warehouse is unchanged"), line
    assert _snapshot(state) == before
    assert cli("seed").exit_code == 0  # and with space again, the rerun works


def test_an_oserror_enospc_inside_a_write_names_its_folder(warehouse: Any, tmp_path: Path) -> None:
    import errno

    from warehouse.db import WarehouseDiskFullError

    before = _snapshot(tmp_path)
    with pytest.raises(WarehouseDiskFullError, match=f"^{tmp_path / 'spill'}: no space left"), \
            warehouse.write() as con:
        con.execute("INSERT INTO cursors VALUES ('x', 'y', 'z', now())")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "spill" / "f.tmp"))
    assert _snapshot(tmp_path) == before
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM cursors").fetchone() == (0,)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
            capture_output=True).returncode != 0:
        pytest.skip("needs root and tmpfs to fill a real disk")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_really_full_disk_is_one_line_and_the_warehouse_is_unchanged(
        cli: Callable[..., Any], tmp_path: Path, tiny_disk: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    state = tiny_disk / "state"
    monkeypatch.setenv("SEASCOUT_HOME", str(state))
    first = cli("seed")  # the survey fits in the WAL; the checkpoint after it finds no room
    assert first.exit_code == 0, first.output
    before = _snapshot(state)
    line = _one_line_failure(cli("seed"))
    assert f"{state}: no space left on device — free space, then rerun" in line, line
    assert _snapshot(state) == before
    out = tmp_path / "out"
    assert cli("export", "--parquet", str(out)).exit_code == 0  # every work is still there
    works = duckdb.execute("SELECT count(*) FROM read_parquet(?)", [str(out / "works.parquet")])
    assert works.fetchone() == (18,)


def test_an_export_folder_with_a_quote_is_a_folder_not_sql(
        cli: Callable[..., Any], tmp_path: Path) -> None:
    assert cli("seed").exit_code == 0
    out = tmp_path / "it's here"
    result = cli("export", "--parquet", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "works.parquet").is_file()
    works = duckdb.execute("SELECT count(*) FROM read_parquet(?)", [str(out / "works.parquet")])
    assert works.fetchone() == (18,)
