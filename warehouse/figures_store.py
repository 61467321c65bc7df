"""The `figures` table: which image each work shows in the digest, or why it shows none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from seascout.core import clock
from warehouse.db import Warehouse


@dataclass
class FigureRecord:
    work_id: str
    status: str  # stored | none | failed
    file: str | None = None  # under $SEASCOUT_HOME/figures
    image_url: str | None = None
    page_url: str | None = None
    width: int | None = None
    height: int | None = None
    bytes: int | None = None
    note: str | None = None
    fetched_at: datetime | None = None


_COLUMNS = ("work_id", "status", "file", "image_url", "page_url", "width", "height", "bytes",
            "note", "fetched_at")


def get_figures(wh: Warehouse, work_ids: Sequence[str]) -> dict[str, FigureRecord]:
    """The stored answers for these works, by work id."""
    if not work_ids or not wh.path.exists():
        return {}
    with wh.read() as con:
        rows = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM figures "
                           "WHERE work_id IN (SELECT unnest(?))", [list(work_ids)]).fetchall()
    return {r[0]: FigureRecord(*r) for r in rows}


def save_figures(wh: Warehouse, records: Sequence[FigureRecord]) -> None:
    """Store (or replace) each work's answer, in one transaction."""
    if not records:
        return
    now = clock.now()
    with wh.write() as con:
        con.executemany(
            f"INSERT OR REPLACE INTO figures ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
            [[getattr(r, c) if c != "fetched_at" else (r.fetched_at or now) for c in _COLUMNS]
             for r in records])
