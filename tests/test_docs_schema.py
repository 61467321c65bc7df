"""docs/schema.md lists exactly the tables, views and columns (with types) of the real schema."""

from __future__ import annotations

import re
from pathlib import Path

from warehouse.db import Warehouse

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
_HEADING = re.compile(r"^### `(\w+)` \((table|view)\)\s*$")
_COLUMN = re.compile(r"^\| `(\w+)` \| ([A-Z][A-Z0-9_\[\](), ]*?) \|")


def documented(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """relation → (kind, {column: type}) as written in the doc."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if m := _HEADING.match(line):
            assert m.group(1) not in out, f"{m.group(1)} documented twice"
            current = {}
            out[m.group(1)] = (m.group(2), current)
        elif line.startswith("## ") or line.startswith("### "):
            current = None  # a section that documents no relation
        elif current is not None and (m := _COLUMN.match(line)):
            assert m.group(1) not in current, f"column {m.group(1)} documented twice"
            current[m.group(1)] = m.group(2).strip()
    return out


def real_schema(wh: Warehouse) -> dict[str, tuple[str, dict[str, str]]]:
    with wh.read() as con:
        kinds = dict(con.execute(
            "SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END "
            "FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
        columns = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, tuple[str, dict[str, str]]] = {name: (kind, {}) for name, kind in kinds.items()}
    for table, column, dtype in columns:
        out[table][1][column] = dtype
    return out


def test_parser_reads_headings_and_column_rows() -> None:
    text = "### `t` (table)\n\n| column | type | meaning |\n|---|---|---|\n" \
           "| `a` | VARCHAR[] | x |\n| `b` | DOUBLE | y |\n### `v` (view)\n| `c` | BIGINT | z |\n"
    assert documented(text) == {"t": ("table", {"a": "VARCHAR[]", "b": "DOUBLE"}),
                                "v": ("view", {"c": "BIGINT"})}


def test_schema_doc_matches_the_real_schema(warehouse: Warehouse) -> None:
    doc = documented(DOC.read_text(encoding="utf-8"))
    real = real_schema(warehouse)
    assert len(real) >= 20  # the migrations ran
    missing = sorted(set(real) - set(doc))
    extra = sorted(set(doc) - set(real))
    assert not missing, f"docs/schema.md does not document: {missing}"
    assert not extra, f"docs/schema.md documents relations that do not exist: {extra}"
    problems = []
    for name, (kind, cols) in real.items():
        doc_kind, doc_cols = doc[name]
        if doc_kind != kind:
            problems.append(f"{name}: documented as a {doc_kind}, is a {kind}")
        for col in cols.keys() - doc_cols.keys():
            problems.append(f"{name}.{col} ({cols[col]}) is not documented")
        for col in doc_cols.keys() - cols.keys():
            problems.append(f"{name}.{col} is documented but does not exist")
        for col in cols.keys() & doc_cols.keys():
            if cols[col] != doc_cols[col]:
                problems.append(f"{name}.{col}: documented as {doc_cols[col]}, is {cols[col]}")
    assert not problems, "docs/schema.md drifted from the schema:\n" + "\n".join(problems)


def test_every_column_has_a_meaning() -> None:
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if _COLUMN.match(line)]
    empty = [r for r in rows if not r.rstrip().rstrip("|").split("|")[-1].strip()]
    assert rows and not empty, empty
