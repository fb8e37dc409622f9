"""stikg export: deterministic bytes, readable Turtle, the published JSON-LD context, round trips
to graphs isomorphic to kg/dataset.nq, and clean failures on unwritable outputs."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from stikg.cli import main
from stikg.rdf import serialize
from stikg.rdf.term_forms import jsonld_context

ROOT = Path(__file__).resolve().parents[1]
KG = ROOT / "kg"
FORMATS = ("ttl", "nt", "nq", "trig", "jsonld")
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}

pytestmark = pytest.mark.skipif(not (KG / "dataset.nq").is_file(), reason="no kg/dataset.nq: run `stikg build`")


def export(fmt: str, out: Path) -> Path:
    """Run ``stikg export --format fmt --out out`` in-process on the project's kg/."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["export", "--format", fmt, "--out", str(out)]) == 0
    finally:
        os.chdir(cwd)
    return out


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Each format exported twice into different directories."""
    a, b = tmp_path_factory.mktemp("export-a"), tmp_path_factory.mktemp("export-b")
    return {fmt: (export(fmt, a / f"dataset.{fmt}"), export(fmt, b / f"dataset.{fmt}")) for fmt in FORMATS}


@pytest.fixture(scope="module")
def reference() -> Dataset:
    """kg/dataset.nq parsed by rdflib (the reference for the round trips)."""
    ds = Dataset()
    ds.parse(KG / "dataset.nq", format="nquads")
    return ds


def named_graphs(ds: Dataset) -> dict[str, Graph]:
    out = {}
    for graph in ds.graphs():
        if len(graph):
            out[str(graph.identifier)] = graph
    return out


def union(ds: Dataset) -> Graph:
    merged = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        merged.add((s, p, o))
    return merged


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_deterministic(exports, fmt):
    first, second = exports[fmt]
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size > 100_000


def test_nquads_export_is_the_published_dump(exports):
    assert exports["nq"][0].read_bytes() == (KG / "dataset.nq").read_bytes()


def test_turtle_is_readable_with_prefixes(exports):
    text = exports["ttl"][0].read_text(encoding="utf-8")
    header = [line for line in text.splitlines()[:40] if line.startswith("@prefix")]
    assert "@prefix stikg: <https://w3id.org/stikg/ontology#> ." in header
    assert "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> ." in header
    assert re.search(r"^<https://w3id.org/stikg/program/kakenhi> a [^;]*stikg:Program", text, re.M)
    assert "    stikg:amountYen " in text
    assert "rdfs:label " in text and '"@ja' in text
    # 'a' is only ever a predicate (it once leaked into object position: `void:property a`)
    assert not any(line.rstrip(" ;.,").endswith((" a", ", a")) for line in text.splitlines())
    # subjects grouped: one block per subject, predicate lists with ';'
    assert " ;\n    " in text


def test_jsonld_uses_the_published_context(exports):
    document = json.loads(exports["jsonld"][0].read_text(encoding="utf-8"))
    published = json.loads((KG / "context.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"]
    assert published == jsonld_context()
    turtle_prefixes = {
        line.split()[1][:-1]: line.split()[2][1:-1]
        for line in exports["ttl"][0].read_text(encoding="utf-8").splitlines() if line.startswith("@prefix")
    }
    for prefix, namespace in turtle_prefixes.items():
        assert published["@context"][prefix] == namespace
    graphs = {g["@id"] for g in document["@graph"]}
    assert "https://w3id.org/stikg/graph/registry" in graphs


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["trig", "jsonld", "nq"])
def test_dataset_formats_round_trip_graph_by_graph(exports, reference, fmt):
    got = Dataset()
    got.parse(exports[fmt][0], format=RDFLIB_FORMAT[fmt])
    want_graphs, got_graphs = named_graphs(reference), named_graphs(got)
    assert sorted(got_graphs) == sorted(want_graphs)
    for name, graph in want_graphs.items():
        assert len(got_graphs[name]) == len(graph), name
        assert isomorphic(got_graphs[name], graph), name


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["ttl", "nt"])
def test_merged_formats_round_trip_to_the_union(exports, reference, fmt):
    got = Graph()
    got.parse(exports[fmt][0], format=RDFLIB_FORMAT[fmt])
    want = union(reference)
    assert len(got) == len(want)
    assert isomorphic(got, want)


def test_one_graph_export(tmp_path):
    out = tmp_path / "registry.ttl"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert main(["export", "--format", "ttl", "--graph", "https://w3id.org/stikg/graph/registry",
                     "--out", str(out)]) == 0
    finally:
        os.chdir(cwd)
    graph = Graph().parse(out, format="turtle")
    assert len(graph) == len(Graph().parse(KG / "graphs" / "registry.ttl", format="turtle"))
    assert (URIRef("https://w3id.org/stikg/program/kakenhi"), None, None) in graph


def test_export_file_is_readable_by_others(exports):
    """A published dump must not be private to its writer (mkstemp creates 0600 files)."""
    mode = stat.S_IMODE(exports["ttl"][0].stat().st_mode)
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stikg.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def unwritable_targets(tmp_path: Path) -> list[Path]:
    targets = [Path("/proc/stikg-export-test/x.ttl"), Path("/proc/x")]
    a_file = tmp_path / "plain-file"
    a_file.write_text("x", encoding="utf-8")
    targets.append(a_file / "x.ttl")  # a path under a regular file
    a_dir = tmp_path / "a-directory"
    a_dir.mkdir()
    targets.append(a_dir)  # the output is an existing directory
    if os.geteuid() != 0:  # root writes into read-only directories anyway
        ro = tmp_path / "read-only"
        ro.mkdir()
        ro.chmod(0o555)
        targets.append(ro / "x.ttl")
    return targets


def test_unwritable_output_fails_with_one_line_and_no_partial_file(tmp_path):
    for target in unwritable_targets(tmp_path):
        before = sorted(p.name for p in target.parent.iterdir()) if target.parent.is_dir() else None
        proc = run_cli("export", "--format", "ttl", "--out", str(target))
        assert proc.returncode == 2, (target, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, (target, proc.stderr)
        assert lines[0].startswith("stikg export: error: ") and "cannot write" in lines[0], lines[0]
        assert str(target) in lines[0]
        assert "Traceback" not in proc.stderr and proc.stdout == ""
        if before is not None and target.parent != Path("/proc"):
            assert sorted(p.name for p in target.parent.iterdir()) == before, "partial file left behind"


def test_unknown_graph_and_format_are_refused():
    proc = run_cli("export", "--format", "ttl", "--graph", "https://example.org/none")
    assert proc.returncode == 2 and "no named graph https://example.org/none" in proc.stderr
    proc = run_cli("export", "--format", "rdfxml")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_rdf_type_as_an_object_is_not_written_as_a():
    """Regression: the Turtle writer shortened rdf:type to 'a' in every position (`void:property a`)."""
    from rdflib.namespace import RDF

    s, void_property = URIRef("https://example.org/p"), URIRef("http://rdfs.org/ns/void#property")
    triples = {(s, void_property, RDF.type), (s, RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")),
               (RDF.type, RDF.type, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"))}
    text = serialize.turtle(triples)
    assert "void:property rdf:type" in text and "rdf:type a rdf:Property" in text
    assert isomorphic(Graph().parse(data=text, format="turtle"), Graph().parse(data=serialize.ntriples(triples), format="nt"))
    trig = serialize.trig({URIRef("https://example.org/g"): triples})
    assert "void:property rdf:type" in trig
