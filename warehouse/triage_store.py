"""Triage's reads and writes: works awaiting a label, results in bulk, the LLM reply cache."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from seascout.core import clock
from seascout.core.model import Classification, Summary
from warehouse.db import Warehouse, registered


def unclassified_work_ids(wh: Warehouse, limit: int | None = None) -> list[str]:
    """Works with no classification yet (seed entries already have theirs), oldest first."""
    if not wh.path.exists():
        return []
    sql = ("SELECT w.work_id FROM works w ANTI JOIN classifications c USING (work_id) "
           "ORDER BY w.first_seen, w.work_id")
    params: list[Any] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with wh.read() as con:
        return [r[0] for r in con.execute(sql, params).fetchall()]


def seed_exemplars(wh: Warehouse) -> list[tuple[str, str, str]]:
    """(heading, summary, label) of every seed entry whose section maps to a label."""
    if not wh.path.exists():
        return []
    with wh.read() as con:
        return con.execute(
            "SELECT e.heading, coalesce(e.summary, ''), s.label FROM seed_entries e "
            "JOIN sections s ON s.number = e.section WHERE s.label IS NOT NULL"
        ).fetchall()


def section_descriptions(wh: Warehouse) -> list[tuple[int, str, str, str]]:
    """(number, title, label, description) of the seeded taxonomy."""
    if not wh.path.exists():
        return []
    with wh.read() as con:
        return con.execute(
            "SELECT number, title, label, coalesce(description, '') FROM sections "
            "WHERE label IS NOT NULL ORDER BY number"
        ).fetchall()


def save_results(wh: Warehouse, classifications: Sequence[Classification],
                 summaries: Sequence[Summary], *, now: datetime | None = None) -> None:
    """Store classifications and summaries in one transaction; seed rows are never replaced."""
    now = now or clock.now()
    with wh.write() as con:
        if classifications:
            with registered(con, "incoming_cls", pa.table({
                "work_id": [c.work_id for c in classifications],
                "label": [c.label.value for c in classifications],
                "confidence": pa.array([float(c.confidence) for c in classifications], pa.float64()),
                "method": [c.method for c in classifications],
                "model": pa.array([c.model for c in classifications], pa.string()),
                "prompt_version": pa.array([c.prompt_version for c in classifications], pa.string()),
                "content_hash": pa.array([c.content_hash for c in classifications], pa.string()),
                "reason": pa.array([c.reason for c in classifications], pa.string()),
                "flagged": [c.flagged for c in classifications],
                "classified_at": pa.array([now] * len(classifications), pa.timestamp("us")),
            })):
                con.execute(
                    "INSERT INTO classifications BY NAME SELECT * FROM incoming_cls "
                    "ON CONFLICT (work_id) DO UPDATE SET label = excluded.label, "
                    "confidence = excluded.confidence, method = excluded.method, "
                    "model = excluded.model, prompt_version = excluded.prompt_version, "
                    "content_hash = excluded.content_hash, reason = excluded.reason, "
                    "flagged = excluded.flagged, classified_at = excluded.classified_at "
                    "WHERE classifications.method <> 'seed'")
        if summaries:
            with registered(con, "incoming_sum", pa.table({
                "work_id": [s.work_id for s in summaries],
                "title_zh": pa.array([s.title_zh for s in summaries], pa.string()),
                "summary": [s.summary for s in summaries],
                "language": [s.language for s in summaries],
                "method": [s.method for s in summaries],
                "model": pa.array([s.model for s in summaries], pa.string()),
                "created_at": pa.array([now] * len(summaries), pa.timestamp("us")),
            })):
                con.execute(
                    "INSERT INTO summaries BY NAME SELECT * FROM incoming_sum "
                    "ON CONFLICT (work_id) DO UPDATE SET title_zh = excluded.title_zh, "
                    "summary = excluded.summary, language = excluded.language, "
                    "method = excluded.method, model = excluded.model, "
                    "created_at = excluded.created_at WHERE summaries.method <> 'seed'")


def cache_get(wh: Warehouse, model: str, prompt_version: str,
              hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Cached validated replies by content hash."""
    if not hashes or not wh.path.exists():
        return {}
    wanted = pa.table({"content_hash": pa.array(list(hashes), pa.string())})
    with wh.read() as con, registered(con, "wanted_hashes", wanted):
        rows = con.execute(
            "SELECT content_hash, reply FROM llm_cache SEMI JOIN wanted_hashes USING (content_hash) "
            "WHERE model = ? AND prompt_version = ?", [model, prompt_version]).fetchall()
    return {h: json.loads(r) for h, r in rows}


def cache_put(wh: Warehouse, model: str, prompt_version: str,
              rows: Sequence[tuple[str, dict[str, Any], int, float]]) -> None:
    """(content_hash, reply, tokens, cost_usd) rows; an existing entry is kept."""
    if not rows:
        return
    now = clock.now()
    with wh.write() as con, registered(con, "incoming_cache", pa.table({
        "model": [model] * len(rows), "prompt_version": [prompt_version] * len(rows),
        "content_hash": [r[0] for r in rows],
        "reply": [json.dumps(r[1], ensure_ascii=False) for r in rows],
        "tokens": pa.array([int(r[2]) for r in rows], pa.int32()),
        "cost_usd": pa.array([float(r[3]) for r in rows], pa.float64()),
        "created_at": pa.array([now] * len(rows), pa.timestamp("us")),
    })):
        con.execute("INSERT INTO llm_cache BY NAME SELECT * FROM incoming_cache ON CONFLICT DO NOTHING")


def record_llm_usage(wh: Warehouse, run_id: str, calls: int, tokens: int, cost_usd: float) -> None:
    """Add this stage's LLM usage to a run row (created as a 'triage' run if missing)."""
    with wh.write() as con:
        con.execute(
            "INSERT INTO runs (run_id, flow, started_at, status) VALUES (?, 'triage', ?, 'running') "
            "ON CONFLICT (run_id) DO NOTHING", [run_id, clock.now()])
        con.execute(
            "UPDATE runs SET llm_calls = llm_calls + ?, llm_tokens = llm_tokens + ?, "
            "llm_cost_usd = llm_cost_usd + ? WHERE run_id = ?", [calls, tokens, cost_usd, run_id])
