"""HTTP fault matrix: every HTTP paper source × every fault on the loopback replay server.

The cases live in `testing/fault_matrix.py` (`bench/fault_matrix.py` prints the same matrix);
here they run once per session, in two threads, and each cell is asserted on its own: the
source survived (retries) or recorded the failure as its own error without moving its cursor,
the other sources were unaffected, and a clean rerun left `works` / `work_ids` / `links`
identical to an undisturbed run on a fresh warehouse. Persistent faults run for one
representative of each retry path (the bench runs all of them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing import fault_matrix as fm

ALWAYS = ["429+Retry-After", "503", "reset", "timeout", "truncated", "spurious-empty"]
CELLS = [(s, fault, mode) for fault, mode, sources in fm.groups(always=ALWAYS) for s in sources]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], fm.Case]:
    shm = Path("/dev/shm")  # noqa: S108 - tmpfs, a private mkdtemp inside
    base = tmp_path_factory.mktemp("faults")
    if shm.is_dir():  # DuckDB syncs its file on every write: tmpfs halves the suite's time
        import tempfile
        base = Path(tempfile.mkdtemp(prefix="seascout-faults-", dir=shm))
    try:
        cases = fm.run_matrix(base, always=ALWAYS)
    finally:
        if base.parent == shm:
            import shutil
            shutil.rmtree(base, ignore_errors=True)
    lines: list[str] = []
    fm.print_matrix(cases, lines.append)
    print("\n".join(lines))
    return {(c.source, c.fault, c.mode): c for c in cases}


def test_matrix_covers_every_source_and_fault() -> None:
    sources = {s for s, _, _ in CELLS}
    faults = {f for _, f, m in CELLS if m == "once"}
    assert sources == set(fm.SOURCES) == {"arxiv_api", "arxiv_rss", "crossref", "datacite",
                                          "openalex", "journal_feeds"}
    assert faults == set(fm.FAULTS)
    assert len(CELLS) == len(set(CELLS))


@pytest.mark.parametrize(("source", "fault", "mode"), CELLS,
                         ids=[f"{s}-{f}-{m}" for s, f, m in CELLS])
def test_fault_case(matrix: dict[tuple[str, str, str], fm.Case], source: str, fault: str,
                    mode: str) -> None:
    case = matrix[(source, fault, mode)]
    assert case.ok, "; ".join(case.problems)
    assert case.outcome == fm.expected(fault, mode), (case.outcome, case.detail)


def test_a_fault_that_is_not_caught_fails_the_case(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness can fail: a crawl that stores a wrong title after a fault is caught."""
    from testing.replay import ReplayServer

    with ReplayServer() as srv, fm.environment():
        matrix = fm.Matrix(tmp_path, srv)
        real = fm.clean_replies

        def lying(route: str) -> list:
            if route == "feedA":
                return [fm._feed([1, 2, 7])]  # an extra item only the faulted run sees
            return real(route)

        monkeypatch.setattr(fm, "clean_replies", lying)
        (case,) = matrix.run("500", "once", ["journal_feeds"])
    assert not case.ok and case.outcome == "FAILED"
    assert "differs from the undisturbed run" in "; ".join(case.problems)
