"""Recorded fixtures stay honest: each has its provenance, and none lies unused."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
DOCS = {"README.md", "PROVENANCE.md", "SOURCE_README.md"}


def _recordings() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.name not in DOCS)


def test_every_fixture_folder_states_its_provenance() -> None:
    folders = {p.parent for p in _recordings()}
    assert folders
    for folder in folders:
        assert any((folder / d).exists() or (folder.parent / d).exists() for d in DOCS), folder


def test_no_recorded_fixture_is_unused() -> None:
    users = "\n".join(p.read_text(encoding="utf-8") for p in [
        *ROOT.glob("tests/*.py"), *ROOT.glob("testing/*.py"), *ROOT.glob("bench/*.py")])
    unused = [str(p.relative_to(FIXTURES)) for p in _recordings() if p.name not in users]
    assert not unused, f"unused fixtures (delete them or use them): {unused}"
