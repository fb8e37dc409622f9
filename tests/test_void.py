"""kg/void.ttl: the VoID + DCAT description of the dataset, checked against kg/dataset.nq."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, XSD

from stikg.inputs.corpus import load_catalog
from stikg.rdf.kgwriter import read_dataset
from stikg.rdf.vocab import DCAT, VOID
from stikg.rdf.void import CC_BY, DUMPS, namespace_of

ROOT = Path(__file__).resolve().parents[1]
KG = ROOT / "kg"
BASE = "https://w3id.org/stikg/"
D = URIRef(BASE + "dataset")
SD_NAME = URIRef("http://www.w3.org/ns/sparql-service-description#name")

pytestmark = pytest.mark.skipif(not (KG / "void.ttl").is_file(), reason="no kg/void.ttl: run `stikg build`")


@pytest.fixture(scope="module")
def void() -> Graph:
    return Graph().parse(KG / "void.ttl", format="turtle")


@pytest.fixture(scope="module")
def graphs() -> dict[URIRef, set]:
    return read_dataset(KG / "dataset.nq")


@pytest.fixture(scope="module")
def triples(graphs) -> set:
    return set().union(*graphs.values())


def langs(g: Graph, s: URIRef, p: URIRef) -> dict[str, str]:
    return {o.language: str(o) for o in g.objects(s, p) if isinstance(o, Literal) and o.language}


def one(g: Graph, s, p):
    values = list(g.objects(s, p))
    assert len(values) == 1, (s, p, values)
    return values[0]


def test_dataset_is_void_and_dcat_with_ja_en_title_and_description(void):
    assert (D, RDF.type, VOID.Dataset) in void and (D, RDF.type, DCAT.Dataset) in void
    titles = langs(void, D, DCTERMS.title)
    assert set(titles) == {"ja", "en"} and "stikg" in titles["en"] and "科学技術" in titles["ja"]
    descriptions = langs(void, D, DCTERMS.description)
    assert set(descriptions) == {"ja", "en"} and all(len(v) > 40 for v in descriptions.values())
    assert len(list(void.objects(D, DCAT.keyword))) >= 3


def test_publisher_licence_and_attribution(void):
    publisher = one(void, D, DCTERMS.publisher)
    assert isinstance(publisher, URIRef) and (publisher, FOAF.name, None) in void
    assert one(void, D, DCTERMS.license) == CC_BY
    rights = langs(void, D, DCTERMS.rights)
    assert "出典：文部科学省ウェブサイト" in rights["ja"] and "政府標準利用規約（第2.0版）" in rights["ja"]
    assert "CC BY 4.0" in rights["ja"]
    assert "Source: MEXT website" in rights["en"] and "Standard Terms of Use 2.0" in rights["en"]
    assert "CC BY 4.0" in rights["en"] and "attribution" in rights["en"]


def test_sources_are_the_corpus_documents_with_dates(void):
    catalog = load_catalog(ROOT / "sources" / "catalog.yaml")
    sources = set(void.objects(D, DCTERMS.source))
    assert sources == {URIRef(f"{BASE}document/{e.stem}") for e in catalog}
    for entry in catalog:
        doc = URIRef(f"{BASE}document/{entry.stem}")
        issued = one(void, doc, DCTERMS.issued)
        assert str(issued) == entry.date
        assert langs(void, doc, RDFS.label) == {"ja": entry.title_ja, "en": entry.title_en}


def test_creation_date_is_the_newest_document_date(void):
    created = one(void, D, DCTERMS.created)
    catalog = load_catalog(ROOT / "sources" / "catalog.yaml")
    assert created.datatype == XSD.date
    if not os.environ.get("SOURCE_DATE_EPOCH"):  # the reproducible-builds clock wins when set
        assert str(created) == max(e.date for e in catalog)


def test_triple_counts_equal_the_dump(void, graphs, triples):
    lines = (KG / "dataset.nq").read_text(encoding="utf-8").count("\n")
    assert sum(len(t) for t in graphs.values()) == lines
    # void:triples of the dataset: distinct triples of the union of the named graphs (what the
    # SPARQL endpoint's default graph holds); each named graph's subset: its own quads.
    assert one(void, D, VOID.triples).toPython() == len(triples)
    subsets = {one(void, s, SD_NAME): one(void, s, VOID.triples).toPython() for s in void.objects(D, VOID.subset)}
    assert subsets == {name: len(t) for name, t in graphs.items()}
    assert sum(subsets.values()) == lines
    assert one(void, D, VOID.distinctSubjects).toPython() == len({s for s, _, _ in triples})
    assert one(void, D, VOID.properties).toPython() == len({p for _, p, _ in triples})


def test_class_partitions_match_the_data(void, triples):
    want = Counter(o for _, p, o in triples if p == RDF.type and isinstance(o, URIRef))
    got = {one(void, part, VOID["class"]): one(void, part, VOID.entities).toPython()
           for part in void.objects(D, VOID.classPartition)}
    assert got == dict(want)
    assert got[URIRef("https://w3id.org/stikg/ontology#Program")] > 50


def test_property_partitions_match_the_data(void, triples):
    want = Counter(p for _, p, _ in triples)
    got = {one(void, part, VOID.property): one(void, part, VOID.triples).toPython()
           for part in void.objects(D, VOID.propertyPartition)}
    assert got == dict(want)
    assert got[RDF.type] == sum(1 for _, p, _ in triples if p == RDF.type)


def test_vocabularies_cover_every_class_and_property(void, triples):
    listed = {str(v) for v in void.objects(D, VOID.vocabulary)}
    used = {namespace_of(str(p)) for _, p, _ in triples}
    used |= {namespace_of(str(o)) for _, p, o in triples if p == RDF.type and isinstance(o, URIRef)}
    assert used <= listed, used - listed
    assert "https://w3id.org/stikg/ontology#" in listed
    assert not any(v.startswith(BASE + "program/") for v in listed)


def test_sparql_endpoint_and_dumps(void):
    assert one(void, D, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    assert one(void, D, VOID.uriSpace) == Literal(BASE)
    dumps = set(void.objects(D, VOID.dataDump))
    assert dumps == {URIRef(f"{BASE}dumps/{name}") for name in DUMPS}
    for name in DUMPS:
        assert (KG / name).is_file(), f"the VoID lists a dump that the build does not write: {name}"
    media = {}
    for dist in void.objects(D, DCAT.distribution):
        assert (dist, RDF.type, DCAT.Distribution) in void
        url = void.value(dist, DCAT.downloadURL) or void.value(dist, DCAT.accessURL)
        assert url is not None
        media[str(url)] = str(void.value(dist, DCTERMS.format) or "")
    assert media[f"{BASE}dumps/dataset.nq"] == "application/n-quads"
    assert media[f"{BASE}dumps/dataset.trig"] == "application/trig"
    assert media[f"{BASE}dumps/dataset.jsonld"] == "application/ld+json"
    assert media[f"{BASE}dumps/stikg.ttl"] == "text/turtle"
    assert media[f"{BASE}sparql"] == ""


def test_void_turtle_has_no_keyword_in_object_position():
    text = (KG / "void.ttl").read_text(encoding="utf-8")
    assert "void:property a " not in text and "void:property a\n" not in text
    assert "void:property rdf:type" in text
