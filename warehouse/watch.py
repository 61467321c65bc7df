"""What the crawl keeps an eye on: the seed stage's watch list and DOIs still undescribed.

Read-only helpers for the paper sources (only `warehouse/` opens DuckDB).
"""

from __future__ import annotations

from seascout.core.model import WatchItem
from warehouse.db import Warehouse


def watch_items(wh: Warehouse, reason: str | None = None) -> list[WatchItem]:
    """The watch list (``enrich`` / ``cited_by`` items), in key order; empty before seeding."""
    if not wh.path.exists():
        return []
    sql = "SELECT key, reason FROM watch_list"
    params: list[str] = []
    if reason is not None:
        sql += " WHERE reason = ?"
        params.append(reason)
    with wh.read() as con:
        rows = con.execute(sql + " ORDER BY key, reason", params).fetchall()
    return [WatchItem(key=k, reason=r) for k, r in rows]


def dois_missing_source(wh: Warehouse, source: str, *, limit: int = 200) -> list[str]:
    """Publisher DOIs (not arXiv DOIs) of works that `source` has never described.

    Watch-list items come first (the survey's own papers), then preprints that carry a
    journal DOI (their `arxiv:doi`), so a bounded run fills in what matters most. DOIs the
    source did not know when asked are marked with a ``lookup:doi:…`` cursor and skipped."""
    if not wh.path.exists() or limit <= 0:
        return []
    with wh.read() as con:
        rows = con.execute(
            """
            WITH described AS (SELECT DISTINCT work_id FROM provenance WHERE source = ?),
            candidates AS (
                SELECT i.id AS key, i.work_id,
                       CASE WHEN EXISTS (SELECT 1 FROM watch_list w WHERE w.work_id = i.work_id)
                            THEN 0 ELSE 1 END AS pri
                FROM work_ids i
                WHERE i.id LIKE 'doi:%' AND i.work_id NOT IN (SELECT work_id FROM described)
                  AND NOT EXISTS (SELECT 1 FROM cursors c  -- asked before and not found
                                  WHERE c.source = ? AND c.query = 'lookup:' || i.id)
            )
            SELECT key FROM candidates
            WHERE pri = 0 OR EXISTS (SELECT 1 FROM work_ids a
                                     WHERE a.work_id = candidates.work_id AND a.id LIKE 'arxiv:%')
            ORDER BY pri, key
            LIMIT ?
            """,
            [source, source, limit],
        ).fetchall()
    return [r[0][len("doi:"):] for r in rows]


def arxiv_ids_missing_sources(wh: Warehouse, sources: list[str], *, limit: int = 200) -> list[str]:
    """arXiv ids on the watch list that none of `sources` has described (for DataCite)."""
    if not wh.path.exists() or limit <= 0:
        return []
    marks = ", ".join("?" for _ in sources)
    with wh.read() as con:
        rows = con.execute(
            f"""
            SELECT DISTINCT w.key FROM watch_list w
            WHERE w.key LIKE 'arxiv:%'
              AND NOT EXISTS (SELECT 1 FROM provenance p
                              WHERE p.work_id = w.work_id AND p.source IN ({marks}))
            ORDER BY w.key LIMIT ?
            """,
            [*sources, limit],
        ).fetchall()
    return [r[0][len("arxiv:"):] for r in rows]
