"""The end-to-end build: graphs, strategies, citations, conformance, determinism, atomicity."""

from __future__ import annotations

import filecmp
import json

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDF, XSD

from stikg.build import build
from stikg.core.config import Paths
from stikg.rdf import vocab
from stikg.rdf.vocab import CITO, STIKG

STRATEGIES = {
    "統合イノベーション戦略2024": "2024-06-04",
    "経済財政運営と改革の基本方針2024": "2024-06-21",
    "新しい資本主義のグランドデザイン及び実行計画2024年改訂版": "2024-06-21",
    "統合イノベーション戦略2020": "2020-07-17",
}


def _dataset(paths: Paths) -> Dataset:
    ds = Dataset()
    ds.parse(paths.kg / "dataset.nq", format="nquads")
    return ds


def test_every_document_is_its_own_named_graph(built):
    paths, result = built
    names = {str(g) for g in result.graphs}
    for doc in sorted(paths.sources.glob("*.txt")):
        assert str(vocab.graph_iri(f"document/{doc.stem}")) in names
    for special in ("registry", "ontology", "inferred", "catalog"):
        assert str(vocab.graph_iri(special)) in names
    for name, triples in result.graphs.items():
        if "/graph/document/" in str(name):
            assert triples, f"{name} is empty"


def test_kg_files_written(built):
    paths, _ = built
    for name in ("dataset.nq", "stikg.ttl", "shacl-report.ttl", "shacl-report.txt", "stats.json",
                 "manifest.json"):
        assert (paths.kg / name).is_file(), name
    manifest = json.loads((paths.kg / "manifest.json").read_text(encoding="utf-8"))
    assert "sources/001_ed80bdeb1e1ef2d9.txt" in manifest["inputs"]
    assert manifest["outputs"]["dataset.nq"]


def test_strategies_have_decision_dates_and_are_cited(built):
    _, result = built
    triples = set().union(*result.graphs.values())
    labels = {(s, str(o)) for s, p, o in triples if p == vocab.RDFS.label and getattr(o, "language", None) == "ja"}
    for name, date in STRATEGIES.items():
        matches = [s for s, label in labels if label == name and (s, RDF.type, STIKG.Strategy) in triples]
        assert matches, f"strategy {name} missing"
        strategy = matches[0]
        dates = {str(o) for s, p, o in triples if s == strategy and p == STIKG.decisionDate}
        assert dates == {date}, name
        citing = {s for s, p, o in triples if p == CITO.citesAsAuthority and o == strategy}
        assert citing, f"no program cites {name}"


def test_every_budgeted_program_is_a_program_with_a_label(built):
    _, result = built
    triples = set().union(*result.graphs.values())
    programs = {o for s, p, o in triples if p == STIKG.forProgram}
    assert len(programs) >= 40
    for program in programs:
        assert (program, RDF.type, STIKG.Program) in triples
        assert any(p == vocab.RDFS.label for s, p, o in triples if s == program)


def test_previous_year_budget_becomes_budget_of_previous_year(built):
    _, result = built
    doc = result.graphs[vocab.graph_iri("document/001_ed80bdeb1e1ef2d9")]
    budget = {s for s, p, o in doc if p == STIKG.budgetStage and o == vocab.stage_concept("budget")}
    years = {int(o) for s, p, o in doc if s in budget and p == STIKG.fiscalYear}
    assert 2024 in years
    assert not any(o == STIKG["stage-previous_year_budget"] for _, _, o in doc)


def test_same_program_in_several_documents_is_one_node(built):
    _, result = built
    docs_of = {}
    for name, triples in result.graphs.items():
        if "/graph/document/" not in str(name):
            continue
        for _s, p, o in triples:
            if p == STIKG.forProgram:
                docs_of.setdefault(o, set()).add(name)
    assert any(len(d) >= 2 for d in docs_of.values()), "no program shared between documents"


def test_amounts_are_integers_with_evidence(built):
    _, result = built
    triples = set().union(*result.graphs.values())
    amounts = [o for s, p, o in triples if p == STIKG.amountYen]
    assert amounts and all(isinstance(o, Literal) and o.datatype == XSD.integer for o in amounts)
    allocations = {s for s, p, o in triples if p == RDF.type and o == STIKG.BudgetAllocation}
    with_evidence = {s for s, p, o in triples if p == STIKG.hasEvidence}
    assert allocations <= with_evidence
    quotes = [o for s, p, o in triples if p == STIKG.quote]
    assert all(str(q) for q in quotes)


def test_inferred_triples_are_kept_apart(built):
    _, result = built
    inferred = result.graphs[vocab.graph_iri("inferred")]
    asserted = set().union(*(t for n, t in result.graphs.items() if n != vocab.graph_iri("inferred")))
    assert inferred, "owlrl inferred nothing"
    assert not inferred & asserted


def test_graph_conforms(built):
    paths, result = built
    assert result.report.violations == 0
    assert (paths.kg / "shacl-report.txt").read_text(encoding="utf-8").startswith("SHACL: conforms")


def test_rebuild_is_byte_identical(built, tmp_path):
    paths, _ = built
    snapshot = tmp_path / "kg-before"
    import shutil

    shutil.copytree(paths.kg, snapshot)
    build(paths, quiet=True)
    cmp = filecmp.dircmp(snapshot, paths.kg)
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    for sub in cmp.subdirs.values():
        assert not sub.diff_files and not sub.left_only and not sub.right_only


def test_committed_kg_matches_a_fresh_build(built, root):
    """kg/ in the repository must be what the current inputs build (run `stikg build` and commit)."""
    paths, _ = built
    committed = root / "kg"
    for name in ("dataset.nq", "stikg.ttl", "shacl-report.txt", "stats.json"):
        assert (committed / name).read_bytes() == (paths.kg / name).read_bytes(), (
            f"kg/{name} is stale: run `stikg build` and commit kg/")


def test_interrupted_build_keeps_previous_kg(project, monkeypatch):
    paths = Paths(project)
    build(paths, quiet=True)
    before = {p.relative_to(paths.kg): p.read_bytes() for p in paths.kg.rglob("*") if p.is_file()}

    import stikg.build as build_module

    def explode(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C in the middle of writing

    monkeypatch.setattr(build_module, "write_json", explode)
    with pytest.raises(KeyboardInterrupt):
        build(paths, quiet=True)
    after = {p.relative_to(paths.kg): p.read_bytes() for p in paths.kg.rglob("*") if p.is_file()}
    assert after == before
    assert not list(paths.kg.parent.glob(".kg.new.*")), "staging directory left behind"


def test_violation_fails_build_and_keeps_kg(project):
    from stikg.core.errors import ValidationFailed

    paths = Paths(project)
    build(paths, quiet=True)
    before = (paths.kg / "dataset.nq").read_bytes()
    # A registry program without an English label is fine, but a strategy whose decision date
    # is not a date breaks a shape: make the ontology-level rule fail through the shapes instead.
    shapes = paths.shapes / "zz-test-extra.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix stikg: <https://w3id.org/stikg/ontology#> .\n"
        "stikg:TestImpossibleShape a sh:NodeShape ; sh:targetClass stikg:Program ;\n"
        "  sh:property [ sh:path stikg:noSuchProperty ; sh:minCount 1 ] .\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as err:
        build(paths, quiet=True)
    assert "violation" in err.value.message and "kg/ was left unchanged" in err.value.message
    assert (paths.kg / "dataset.nq").read_bytes() == before
    assert (paths.root / "var" / "last-build" / "shacl-report.txt").is_file()


def test_dataset_parses_and_documents_have_provenance(built):
    paths, _ = built
    ds = _dataset(paths)
    doc = URIRef(vocab.document_iri("001_ed80bdeb1e1ef2d9"))
    catalog = ds.graph(vocab.graph_iri("catalog"))
    assert (doc, STIKG.fileName, Literal("001_ed80bdeb1e1ef2d9.txt")) in catalog


def test_changed_document_is_the_only_one_redone(project):
    paths = Paths(project)
    first = build(paths, quiet=True, reasoner="fast")
    assert first.redone == len(list(paths.sources.glob("*.txt")))  # every document, once
    again = build(paths, quiet=True, reasoner="fast")
    assert again.redone == 0
    assert again.graphs == first.graphs
    doc = paths.sources / "004_65ec10f6b195d526.txt"
    doc.write_bytes(doc.read_bytes() + "\n（担当：研究振興局ライフサイエンス課）\n".encode())
    changed = build(paths, quiet=True, reasoner="fast")
    assert changed.redone == 1
    uncached = build(paths, quiet=True, reasoner="fast", use_cache=False)
    assert uncached.graphs == changed.graphs
