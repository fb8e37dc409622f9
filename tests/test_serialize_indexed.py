"""The indexed serialisers (indexed.Indexed, what kg/ and `stikg export` use) give byte for byte
what the straightforward ones give: sort the triples by their N-Triples forms, then write them
one by one. The straightforward ones (the previous implementation) are kept here as the reference.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from stikg.rdf import kgwriter, serialize
from stikg.rdf.indexed import Indexed
from stikg.rdf.term_forms import jsonld_context, nt_row, sorted_triples, term_nt
from stikg.rdf.vocab import PREFIXES, STIKG

# ----------------------------------------------------------------------------- the reference

_PREFIX_ORDER = sorted(((str(ns), p) for p, ns in PREFIXES.items()), key=lambda x: -len(x[0]))
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_INTEGER = re.compile(r"[+-]?\d+")


class _Shortener:
    """Prefixed names for IRIs (memoised) and Turtle forms for objects."""

    def __init__(self):
        self.used: set[str] = set()
        self._iri_cache: dict = {}

    def iri(self, term) -> str:
        cached = self._iri_cache.get(term)
        if cached is not None:
            if cached[1]:
                self.used.add(cached[1])
            return cached[0]
        text = str(term)
        form, prefix = None, ""
        for ns, candidate in _PREFIX_ORDER:
            if text.startswith(ns):
                local = text[len(ns):]
                if local == "" or _SAFE_LOCAL.match(local):
                    form, prefix = f"{candidate}:{local}", candidate
                break
        if form is None:
            form = term_nt(term)
        self._iri_cache[term] = (form, prefix)
        if prefix:
            self.used.add(prefix)
        return form

    def obj(self, term) -> str:
        if isinstance(term, URIRef):
            return self.iri(term)
        datatype = getattr(term, "datatype", None)
        lexical = str(term)
        if datatype == XSD.integer and _INTEGER.fullmatch(lexical):
            return lexical
        if datatype == XSD.boolean and lexical in ("true", "false"):
            return lexical
        if isinstance(term, Literal) and datatype is not None and term.language is None:
            return term_nt(Literal(lexical)) + "^^" + self.iri(datatype)
        return term_nt(term)


def _compact(term, shortener) -> str:
    short = shortener.iri(term)
    return short[1:-1] if short.startswith("<") else short


def _jsonld_value(term, shortener) -> dict:
    if isinstance(term, URIRef):
        return {"@id": _compact(term, shortener)}
    if isinstance(term, BNode):
        return {"@id": f"_:{term}"}
    value: dict = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        value["@type"] = _compact(term.datatype, shortener)
    return value


def _prefix_header(used) -> str:
    lines = [f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(used)]
    return "".join(lines) + ("\n" if lines else "")


def _turtle_body(triples, shortener, indent=""):
    out = []
    current_s = current_p = None
    for s, p, o in sorted_triples(triples):
        subj = shortener.iri(s) if isinstance(s, URIRef) else term_nt(s)
        pred = "a" if p == RDF.type else shortener.iri(p)
        obj = shortener.obj(o)
        if s != current_s:
            if current_s is not None:
                out.append(" .\n")
            out.append(f"{indent}{subj} {pred} {obj}")
            current_s, current_p = s, p
        elif p != current_p:
            out.append(f" ;\n{indent}    {pred} {obj}")
            current_p = p
        else:
            out.append(f" ,\n{indent}        {obj}")
    if current_s is not None:
        out.append(" .\n")
    return out


def ref_turtle(triples) -> str:
    shortener = _Shortener()
    body = _turtle_body(triples, shortener)
    return _prefix_header(shortener.used) + "".join(body)


def ref_trig(graphs) -> str:
    shortener = _Shortener()
    parts = []
    for name in sorted(graphs, key=str):
        body = _turtle_body(graphs[name], shortener, indent="    ")
        parts.append(f"<{name}> {{\n" + "".join(body) + "}\n\n")
    return _prefix_header(shortener.used) + "".join(parts)


def ref_ntriples(triples) -> str:
    return "".join(nt_row(t) for t in sorted_triples(triples))


def ref_nquads(graphs) -> str:
    lines = []
    for name, triples in graphs.items():
        suffix = f" <{name}> .\n"
        lines.extend(f"{term_nt(t[0])} {term_nt(t[1])} {term_nt(t[2])}{suffix}" for t in triples)
    lines.sort()
    return "".join(lines)


def _node_objects(triples, shortener):
    nodes = {}
    for s, p, o in sorted_triples(triples):
        node = nodes.setdefault(s, {"@id": _compact(s, shortener) if isinstance(s, URIRef) else f"_:{s}"})
        if p == RDF.type and isinstance(o, URIRef):
            node.setdefault("@type", []).append(_compact(o, shortener))
        else:
            node.setdefault(_compact(p, shortener), []).append(_jsonld_value(o, shortener))
    return list(nodes.values())


def ref_jsonld(graphs) -> str:
    shortener = _Shortener()
    parts = ['{"@context": ' + json.dumps(jsonld_context()["@context"], ensure_ascii=False) + ',\n "@graph": [']
    graph_parts = []
    for name in sorted(graphs, key=str):
        nodes = ",\n   ".join(json.dumps(n, ensure_ascii=False) for n in _node_objects(graphs[name], shortener))
        graph_parts.append('\n  {"@id": ' + json.dumps(str(name)) + ', "@graph": [\n   ' + nodes + "\n  ]}")
    parts.append(",".join(graph_parts))
    parts.append("\n ]}\n")
    return "".join(parts)


def ref_dataset(directory: Path, graphs) -> None:
    """The files write_dataset() makes, the straightforward way."""
    merged = set()
    for name in sorted(graphs):
        merged |= graphs[name]
        path = directory / "graphs" / kgwriter.graph_file_name(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ref_turtle(graphs[name]), encoding="utf-8")
    (directory / "dataset.nq").write_text(ref_nquads(graphs), encoding="utf-8")
    (directory / "dataset.trig").write_text(ref_trig(graphs), encoding="utf-8")
    (directory / "dataset.jsonld").write_text(ref_jsonld(graphs), encoding="utf-8")
    (directory / "stikg.ttl").write_text(ref_turtle(merged), encoding="utf-8")


# ----------------------------------------------------------------------------- tricky terms

EX = "https://example.org/"
IRIS = [
    URIRef(f"{EX}a"), URIRef(f"{EX}a2"), URIRef(f"{EX}a/b"), URIRef(f"{EX}a b"), URIRef(f"{EX}é"),
    URIRef(f"{EX}x>y"), STIKG.Program, STIKG["program"], STIKG["a.b"], STIKG["a."], STIKG[""], STIKG["-x"],
    URIRef("https://w3id.org/stikg/program/kakenhi"), URIRef("https://w3id.org/stikg/program/kakenhi-2"),
    URIRef("urn:x"), RDF.type, RDFS.label, SKOS.prefLabel, OWL.Class, XSD.integer, XSD.string,
]
LITERALS = [
    Literal("a"), Literal("a", lang="en"), Literal("a", lang="en-GB"), Literal("a", lang="ja"),
    Literal("a", datatype=XSD.string), Literal("a b\n\"c\"\\ \r\t"), Literal("科学技術", lang="ja"),
    Literal("科学技術"), Literal(""), Literal(1), Literal(-12), Literal("+5", datatype=XSD.integer),
    Literal("x", datatype=XSD.integer), Literal(True), Literal("false", datatype=XSD.boolean),
    Literal("1.5", datatype=XSD.decimal), Literal("2024-06-04", datatype=XSD.date),
    Literal("v", datatype=URIRef(f"{EX}dt")), Literal("v", datatype=URIRef(f"{EX}d t")),
    Literal(f"{EX}a"),
]
BNODES = [BNode("b1"), BNode("b12"), BNode("b2")]
SUBJECTS = IRIS + BNODES
PREDICATES = [RDF.type, RDFS.label, SKOS.prefLabel, STIKG.amount, URIRef(f"{EX}p"), URIRef(f"{EX}p q"),
              URIRef(f"{EX}a")]
OBJECTS = IRIS + LITERALS + BNODES
GRAPHS = [URIRef(f"{EX}graph/g"), URIRef(f"{EX}graph/g2"), URIRef(f"{EX}graph/document/d"),
          URIRef("https://w3id.org/stikg/graph/ontology"), URIRef(f"{EX}graph/g-h")]

triples_st = st.sets(st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(PREDICATES), st.sampled_from(OBJECTS)),
                     max_size=60)
graphs_st = st.dictionaries(st.sampled_from(GRAPHS), triples_st, max_size=5)


@settings(max_examples=150, deadline=None)
@given(graphs_st)
def test_every_format_equals_the_reference(graphs):
    merged = set().union(*graphs.values()) if graphs else set()
    assert serialize.nquads(graphs) == ref_nquads(graphs)
    assert serialize.trig(graphs) == ref_trig(graphs)
    assert serialize.jsonld(graphs) == ref_jsonld(graphs)
    assert serialize.turtle(merged) == ref_turtle(merged)
    assert serialize.ntriples(merged) == ref_ntriples(merged)


def test_type_with_literal_and_iri_objects_and_rdf_type_everywhere():
    s = URIRef(f"{EX}s")
    triples = {(s, RDF.type, Literal("t")), (s, RDF.type, URIRef(f"{EX}T")), (s, RDF.type, BNode("b")),
               (RDF.type, RDF.type, RDF.Property), (s, URIRef(f"{EX}p"), RDF.type), (BNode("b"), RDF.type, s)}
    graphs = {URIRef(f"{EX}g"): triples, URIRef(f"{EX}g2"): {(s, RDFS.label, Literal("x", lang="en"))}}
    assert serialize.turtle(triples) == ref_turtle(triples)
    assert serialize.jsonld(graphs) == ref_jsonld(graphs)
    assert serialize.trig(graphs) == ref_trig(graphs)


def test_empty_inputs():
    assert serialize.turtle(set()) == ref_turtle(set()) == ""
    assert serialize.ntriples([]) == ""
    for graphs in ({}, {URIRef(f"{EX}g"): set()}, {URIRef(f"{EX}g"): set(), URIRef(f"{EX}h"): {(IRIS[0], RDF.type, IRIS[1])}}):
        assert serialize.nquads(graphs) == ref_nquads(graphs)
        assert serialize.trig(graphs) == ref_trig(graphs)
        assert serialize.jsonld(graphs) == ref_jsonld(graphs)


def test_generators_and_lists_with_repeats_are_accepted():
    triples = [(IRIS[0], RDFS.label, LITERALS[0]), (IRIS[0], RDFS.label, LITERALS[0]), (IRIS[1], RDF.type, IRIS[2])]
    assert serialize.turtle(iter(triples)) == ref_turtle(triples)
    assert serialize.ntriples(iter(triples)) == ref_ntriples(triples)
    assert serialize.nquads({GRAPHS[0]: iter(triples)}) == ref_nquads({GRAPHS[0]: triples})


@pytest.mark.parametrize("parallel", [False, True])
def test_write_dataset_equals_the_reference(tmp_path, parallel):
    import random

    rng = random.Random(7)
    graphs = {g: {(rng.choice(SUBJECTS), rng.choice(PREDICATES), rng.choice(OBJECTS)) for _ in range(400)}
              for g in GRAPHS}
    new, ref = tmp_path / "new", tmp_path / "ref"
    counts = kgwriter.write_dataset(new, graphs, parallel=parallel)
    ref_dataset(ref, graphs)
    assert counts == {str(g): len(graphs[g]) for g in sorted(graphs)}
    made = sorted(p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file())
    expected = sorted([*(p.relative_to(ref).as_posix() for p in ref.rglob("*") if p.is_file()), "context.jsonld"])
    assert made == expected
    for name in made:
        if name != "context.jsonld":
            assert (new / name).read_bytes() == (ref / name).read_bytes(), name
        assert kgwriter.sha256_file(new / name) == hashlib.sha256((new / name).read_bytes()).hexdigest()


def test_merged_turtle_and_its_counts():
    import random

    rng = random.Random(5)
    graphs = {g: {(rng.choice(SUBJECTS), rng.choice(PREDICATES), rng.choice(OBJECTS)) for _ in range(300)}
              for g in GRAPHS}
    merged = set().union(*graphs.values())
    counted = Indexed(graphs)
    counted_summary = counted.summary()
    index = Indexed(graphs)
    assert "".join(index.merged_turtle()) == ref_turtle(merged)
    assert index.summary() == counted_summary
    triples, subjects, slots, typed = counted_summary
    assert triples == len(merged) and len(subjects) == len({s for s, _, _ in merged})
    assert sum(slots.values()) == len(merged)
    assert sum(typed.values()) == sum(1 for _, p, _ in merged if p == RDF.type)
