"""Golden fixtures: the extractor reproduces tests/golden/extract/<doc-stem>/*.csv exactly.

A change in extraction must show up as a reviewed diff of these files. Regenerate them
deliberately with::

    STIKG_UPDATE_GOLDEN=1 python -m pytest tests/test_extract_golden.py

(extraction without the registry and without --fiscal-year/--kind, so the fixtures depend only on
the extractor and the text)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stikg.extract import extract_document

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "extract"
SOURCES = sorted((ROOT / "sources").glob("*.txt"))
UPDATE = os.environ.get("STIKG_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_golden(source: Path) -> None:
    lines = source.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    tables = extract_document(lines, source.name).tables()
    folder = GOLDEN / source.stem
    if UPDATE:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in tables.items():
            (folder / name).write_text(text, encoding="utf-8")
    for name, text in tables.items():
        expected = (folder / name).read_text(encoding="utf-8")
        assert text == expected, f"{folder / name} differs (STIKG_UPDATE_GOLDEN=1 to accept the change)"
    assert sorted(p.name for p in folder.glob("*.csv")) == sorted(tables)


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_nothing_dropped_silently(source: Path) -> None:
    """Every corpus line printing a yen figure gives an amount or a report row with its reason."""
    from stikg.core.normalize import fold
    from stikg.extract.document import yen_matches

    lines = source.read_text(encoding="utf-8").split("\n")
    result = extract_document(lines, source.name)
    accounted = {a.line for a in result.amounts} | {r.line for r in result.report}
    missing = [n for n, line in enumerate(lines, 1) if yen_matches(fold(line.replace("**", ""))) and n not in accounted]
    assert not missing
