"""The scale pipeline in short: a synthetic corpus built end to end and scored against its own
ground truth (the full-size runs are benchmarks/run_all.py; see docs/SCALE.md)."""

from __future__ import annotations

import pytest

from stikg import synth
from stikg.build import build
from stikg.core.config import Paths
from stikg.extract.evaluate import evaluate_dirs
from stikg.inputs.registry import Registry

# Measured on seed 0: F1 1.000 on every table (amounts, citations, organizations, flows) at
# 50×2, 500×10 and 5000×10. The margin absorbs extractor changes that trade a little recall.
MIN_F1 = 0.95


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale") / "corpus"
    synth.generate(50, 2, root, seed=0)
    paths = Paths(root)
    return paths, build(paths, quiet=True)


def test_synthetic_corpus_builds_and_conforms(synthetic_build):
    paths, result = synthetic_build
    assert result.report.violations == 0
    assert (paths.kg / "dataset.nq").is_file() and (paths.kg / "manifest.json").is_file()
    documents = sorted(paths.sources.glob("*.txt"))
    assert len(documents) == 2
    assert sum(len(t) for t in result.graphs.values()) > 5_000


def test_extraction_of_the_synthetic_corpus_matches_its_ground_truth(synthetic_build):
    paths, _ = synthetic_build
    registry = Registry.load(paths.registry)
    scores = evaluate_dirs(paths.root / "ground-truth", paths.extracted, registry=registry)
    for table, score in scores.tables.items():
        assert score.gold > 0, table
        assert score.f1 >= MIN_F1, f"{table}: F1 {score.f1:.3f} (P {score.precision:.3f}, R {score.recall:.3f})"


def test_a_size_beyond_memory_is_refused_before_writing(tmp_path):
    with pytest.raises(synth.SynthError, match=r"refusing: ~[\d,]+ triples would need ~[\d.]+ GB"):
        synth.generate(5000, 10, tmp_path / "out", max_memory=2**30)
    assert not (tmp_path / "out").exists()
