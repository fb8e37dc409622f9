"""The quality bar on the development gold (two hand-annotated corpus documents).

F1 per table and per document must stay at or above the thresholds, with and without the
project's registry (the registry makes names canonical; without it the extractor's own printed
names and the evaluation's name keys must still match)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stikg.extract import extract_document
from stikg.extract.evaluate import evaluate_dirs

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "fixtures" / "gold-dev"
DOCS = ("001_ed80bdeb1e1ef2d9", "004_65ec10f6b195d526")
THRESHOLDS = {"amounts": 0.95, "citations": 0.90, "organizations": 0.90, "flows": 0.85}


def _registry():
    from stikg.inputs.registry import Registry

    return Registry.load(ROOT / "mappings" / "registry")  # a broken registry must fail, not skip


@pytest.mark.parametrize("use_registry", [False, True], ids=["no-registry", "registry"])
def test_quality_bar(tmp_path: Path, use_registry: bool) -> None:
    registry = _registry() if use_registry else None
    for stem in DOCS:
        lines = (ROOT / "sources" / f"{stem}.txt").read_text(encoding="utf-8").split("\n")
        extract_document(lines, f"{stem}.txt", registry=registry).write_csv(tmp_path / stem)
    result = evaluate_dirs(GOLD, tmp_path, registry=registry)
    assert set(result.documents) == set(DOCS)
    failures = [
        f"{doc} {table}: f1 {scores[table].f1:.3f} < {threshold}"
        for doc, scores in result.documents.items()
        for table, threshold in THRESHOLDS.items()
        if scores[table].f1 < threshold
    ]
    assert not failures, failures
