"""The naive pipeline, the baseline of benchmarks/run_all.py: one rdflib Graph for everything.

Same extraction and mapping as ``stikg build`` (they are not what differs), then the textbook
way: every triple (ontology, registry, catalog, documents) in one in-memory ``rdflib.Graph``,
owlrl's full OWL 2 RL closure over that graph, pyshacl over the whole closed graph (the same
shapes, ``advanced=True`` as the build), and rdflib's own Turtle serialiser for the output. No
per-document cache, no indexes of our own, no fast engine.

    python benchmarks/naive.py --root DIR [--json OUT]

Prints one progress line per stage on stderr (``run_all.py`` time-boxes the whole process and
reports the stage it was in when the time ran out).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import owlrl
    import pyshacl
    from rdflib import Graph

    from stikg.build import load_ontology, load_registry
    from stikg.core.config import Paths
    from stikg.extract import extract_document
    from stikg.inputs.corpus import load_corpus
    from stikg.rdf.mapping import Mapper
    from stikg.rdf.validation import load_shapes

    paths = Paths(args.root.resolve())
    timings: dict[str, float] = {}
    started = last = time.perf_counter()

    def step(name: str, detail: str = "") -> None:
        nonlocal last
        now = time.perf_counter()
        timings[name] = round(now - last, 3)
        last = now
        print(f"naive [{now - started:7.1f}s] {name} {detail}", file=sys.stderr, flush=True)

    documents = load_corpus(paths.sources, paths.catalog)
    registry = load_registry(paths)
    ontology = load_ontology(paths)
    shapes = load_shapes(paths.shapes)
    step("load", f"{len(documents)} documents")

    mapper = Mapper(registry)
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    for doc in documents:
        result = extract_document(list(doc.lines), doc.entry.id, fiscal_year=doc.entry.fiscal_year,
                                  kind=doc.entry.kind, registry=registry)
        for triple in mapper.map_document(doc, result).triples:
            graph.add(triple)
    for triple in mapper.map_registry() | mapper.map_catalog(d.entry for d in documents):
        graph.add(triple)
    step("extract+map", f"{len(graph)} triples in one rdflib Graph")

    before = len(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    step("reason", f"owlrl full closure: {len(graph) - before} new triples")

    conforms, _, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                      advanced=True, allow_warnings=True, abort_on_first=False)
    step("validate", f"pyshacl over {len(graph)} triples: conforms={conforms}")

    with tempfile.TemporaryDirectory() as tmp:
        graph.serialize(destination=str(Path(tmp) / "kg.ttl"), format="turtle")
    step("write", "rdflib Turtle")

    out = {"triples": len(graph), "timings": timings, "total_s": round(time.perf_counter() - started, 3)}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    else:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
