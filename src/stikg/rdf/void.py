"""The dataset description ``kg/void.ttl``: VoID + DCAT, derived from the built graphs.

Everything here is computed from the build's inputs (no clock): the creation date is
``$SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention), else the newest document's
date in the catalog.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable, Mapping

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS

from stikg.core.config import base_iri
from stikg.inputs.corpus import Document
from stikg.rdf import kgwriter, vocab
from stikg.rdf.mapping import date_literal, en, integer, ja
from stikg.rdf.serialize import MEDIA_TYPES
from stikg.rdf.vocab import DCAT, VOID, Triple

CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")
GOV_TERMS = URIRef("https://www.digital.go.jp/resources/open_data/public_data_license_v1.0")
DUMPS = {"dataset.nq": "nq", "dataset.trig": "trig", "dataset.jsonld": "jsonld", "stikg.ttl": "ttl"}
VOCABULARIES = ("stikg", "rdf", "rdfs", "owl", "xsd", "skos", "dcterms", "prov", "cito", "org", "schema")


def dataset_iri() -> URIRef:
    return URIRef(f"{base_iri()}dataset")


def creation_date(documents: Iterable[Document]) -> str:
    """``SOURCE_DATE_EPOCH`` as a date, else the newest catalogued document date (YYYY[-MM[-DD]])."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    dates = sorted(d.entry.date for d in documents)
    return dates[-1] if dates else "1970-01-01"


def namespace_of(iri: str) -> str:
    """The vocabulary namespace of a term: its IRI up to the last '#' or '/'."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def vocabularies(triples: Iterable[Triple]) -> list[URIRef]:
    """Namespaces of every property and class used in ``triples`` (plus :data:`VOCABULARIES`)."""
    triples = list(triples)
    return _vocabularies([p for _, p, _ in triples], [o for _, p, o in triples if p == RDF.type and isinstance(o, URIRef)])


def _vocabularies(properties: Iterable, classes: Iterable) -> list[URIRef]:
    terms = {str(p) for p in properties} | {str(c) for c in classes}
    spaces = {namespace_of(t) for t in terms} | {str(vocab.PREFIXES[p]) for p in VOCABULARIES}
    return [URIRef(ns) for ns in sorted(spaces) if ns == str(vocab.STIKG) or not ns.startswith(base_iri())]


class _Counts:
    """What VoID counts over the distinct triples of all graphs, from the writer's index (the
    graphs' terms numbered, their triples as integers): no set of a million rdflib triples."""

    def __init__(self, graphs: Mapping[URIRef, set[Triple]]):
        index = kgwriter.index_of(graphs)
        triples, subjects, slots, typed = index.summary()
        terms = index.term
        base = base_iri()
        self.triples = triples
        self.subjects = len(subjects)
        self.entities = sum(1 for r in subjects if isinstance(terms[r], URIRef) and str(terms[r]).startswith(base))
        self.properties = Counter({terms[index.pslot_rank[slot]]: n for slot, n in slots.items()})  # triples each
        self.classes = Counter({terms[r]: n for r, n in typed.items() if isinstance(terms[r], URIRef)})


def describe(graphs: Mapping[URIRef, set[Triple]], documents: list[Document]) -> set[Triple]:
    """VoID/DCAT triples describing ``graphs`` (the dataset of ``kg/dataset.nq``)."""
    base = base_iri()
    d = dataset_iri()
    t: set[Triple] = set()
    counts = _Counts(graphs)
    t.update({
        (d, RDF.type, VOID.Dataset), (d, RDF.type, DCAT.Dataset),
        (d, DCTERMS.title, ja("科学技術・イノベーション政策ナレッジグラフ (stikg)")),
        (d, DCTERMS.title, en("STI Policy Knowledge Graph (stikg)")),
        (d, DCTERMS.description, ja(
            "文部科学省の公表資料から構築した、日本の科学技術・イノベーション政策（戦略・事業・機関・拠点・"
            "資金の流れ・年度別予算額）の知識グラフ。すべての事実に出典文書と行番号を付す。")),
        (d, DCTERMS.description, en(
            "A knowledge graph of Japanese science, technology and innovation policy (strategies, "
            "programs, organisations, hubs, funding flows, amounts per fiscal year and budget stage), "
            "built from MEXT's published documents; every fact carries its source document and line.")),
        (d, DCTERMS.publisher, URIRef(f"{base}organization/stikg-project")),
        (URIRef(f"{base}organization/stikg-project"), RDF.type, FOAF.Organization),
        (URIRef(f"{base}organization/stikg-project"), FOAF.name, Literal("stikg project")),
        (d, DCTERMS.license, CC_BY),
        (d, DCTERMS.rights, ja(
            "出典：文部科学省ウェブサイト。コーパス由来のデータは政府標準利用規約（第2.0版）に基づき利用"
            "（CC BY 4.0 互換）。コードは MIT ライセンス。")),
        (d, DCTERMS.rights, en(
            "Source: MEXT website. Corpus-derived data is used under the Government of Japan Standard "
            "Terms of Use 2.0 (compatible with CC BY 4.0); attribution required. The code is MIT-licensed.")),
        (d, DCTERMS.created, date_literal(creation_date(documents))),
        (d, VOID.triples, integer(counts.triples)),
        (d, VOID.entities, integer(counts.entities)),
        (d, VOID.distinctSubjects, integer(counts.subjects)),
        (d, VOID.properties, integer(len(counts.properties))),
        (d, VOID.uriSpace, Literal(base)),
        (d, VOID.sparqlEndpoint, URIRef(f"{base}sparql")),
        (d, VOID.exampleResource, URIRef(f"{base}strategy/integrated-innovation-strategy-2024")),
        (d, DCAT.landingPage, URIRef(base)),
        (d, DCAT.keyword, ja("科学技術・イノベーション政策")), (d, DCAT.keyword, en("STI policy")),
        (d, DCAT.keyword, en("research funding")), (d, DCAT.keyword, en("Japan")),
    })
    for namespace in _vocabularies(counts.properties, counts.classes):
        t.add((d, VOID.vocabulary, namespace))
    for doc in documents:
        source = vocab.document_iri(doc.entry.stem)
        t.update({
            (d, DCTERMS.source, source),
            (source, RDFS.label, ja(doc.entry.title_ja)),
            (source, RDFS.label, en(doc.entry.title_en)),
            (source, DCTERMS.issued, date_literal(doc.entry.date)),
        })
    for file_name, fmt in DUMPS.items():
        dump = URIRef(f"{base}dumps/{file_name}")
        dist = URIRef(f"{base}distribution/{file_name.replace('.', '-')}")
        t.update({
            (d, VOID.dataDump, dump), (d, DCAT.distribution, dist),
            (dist, RDF.type, DCAT.Distribution), (dist, DCAT.downloadURL, dump),
            (dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{MEDIA_TYPES[fmt]}")),
            (dist, DCTERMS.format, Literal(MEDIA_TYPES[fmt])), (dist, DCTERMS.license, CC_BY),
            (dist, DCTERMS.title, en(f"{file_name} dump")),
        })
    sparql = URIRef(f"{base}distribution/sparql")
    t.update({
        (d, DCAT.distribution, sparql), (sparql, RDF.type, DCAT.Distribution),
        (sparql, DCAT.accessURL, URIRef(f"{base}sparql")), (sparql, DCTERMS.title, en("SPARQL 1.1 endpoint")),
    })
    # Class and property partitions, and one subset per named graph.
    for cls, count in counts.classes.items():
        part = URIRef(f"{base}dataset/class/{vocab.digest(cls, length=12)}")
        t.update({(d, VOID.classPartition, part), (part, VOID["class"], cls), (part, VOID.entities, integer(count))})
    for prop, count in counts.properties.items():
        part = URIRef(f"{base}dataset/property/{vocab.digest(prop, length=12)}")
        t.update({(d, VOID.propertyPartition, part), (part, VOID.property, prop), (part, VOID.triples, integer(count))})
    for name, triples in graphs.items():
        subset = URIRef(f"{name}#subset")
        t.update({
            (d, VOID.subset, subset), (subset, RDF.type, VOID.Dataset),
            (subset, URIRef("http://www.w3.org/ns/sparql-service-description#name"), name),
            (subset, VOID.triples, integer(len(triples))),
        })
    return t
