"""The layers hold: the ground imports nothing else of the project, nothing below the
application imports it, the product never imports the testing stand-ins, and `bench/` and
`tests/` never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("seascout", "warehouse", "spiders", "triage", "digests", "flows", "testing", "tests", "bench")
STAGES = ("warehouse", "spiders", "triage", "digests", "flows")


def imports(folder: str) -> list[tuple[str, str]]:
    """(file, imported module) for every import in the .py files under `folder`."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


def offending(folder: str, allowed: tuple[str, ...]) -> list[str]:
    bad = []
    for file, module in imports(folder):
        top = module.split(".")[0]
        if top in PROJECT and not any(module == a or module.startswith(a + ".") for a in allowed):
            bad.append(f"{file}: {module}")
    return bad


def test_the_ground_imports_nothing_else_of_the_project() -> None:
    assert offending("seascout/core", ("seascout.core",)) == []


def test_the_stages_never_import_the_application_or_the_testing_stand_ins() -> None:
    for stage in STAGES:
        assert offending(stage, ("seascout.core", *STAGES)) == [], stage


def test_the_application_never_imports_the_testing_stand_ins() -> None:
    assert offending("seascout/app", ("seascout.core", "seascout.app", *STAGES)) == []


def test_bench_and_tests_do_not_import_each_other() -> None:
    assert [f"{f}: {m}" for f, m in imports("bench") if m.split(".")[0] == "tests"] == []
    assert [f"{f}: {m}" for f, m in imports("tests") if m.split(".")[0] == "bench"] == []


def test_one_clock_nothing_else_reads_the_machines_calendar() -> None:
    """Every "now" comes from seascout/core/clock.py: no `datetime.now()`, `date.today()`,
    `time.time()` for dates, or SQL `now()`/`current_date` elsewhere in the product."""
    import re

    pattern = re.compile(r"datetime\.now\(|date\.today\(|datetime\.utcnow\(|\bnow\(\)\s*[,)]|"
                         r"current_date|current_timestamp", re.IGNORECASE)
    found = []
    for folder in ("seascout", *STAGES):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "clock.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#")[0].replace("clock.now()", "")
                if pattern.search(code):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
        for path in sorted((ROOT / folder).rglob("*.sql")):
            if pattern.search(re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))):
                found.append(str(path.relative_to(ROOT)))
    assert found == []
