"""Namespaces and IRI minting shared by mapping, queries and serving."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from stikg.core.config import base_iri
from stikg.core.hashing import digest
from stikg.core.text import name_key

Triple = tuple[Node, Node, Node]
"""A triple of rdflib terms: the one triple type of the build (sets of them are graphs)."""
STIKG_NS = "https://w3id.org/stikg/ontology#"
"""The ontology namespace, as a string (for modules that handle IRIs as text)."""
STIKG = Namespace(STIKG_NS)
ONTOLOGY_IRI = URIRef("https://w3id.org/stikg/ontology")
CITO = Namespace("http://purl.org/spar/cito/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
OA = Namespace("http://www.w3.org/ns/oa#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")

PREFIXES: dict[str, Namespace] = {
    "stikg": STIKG, "rdf": Namespace(str(RDF)), "rdfs": Namespace(str(RDFS)),
    "owl": Namespace(str(OWL)), "xsd": Namespace(str(XSD)), "skos": Namespace(str(SKOS)),
    "dcterms": Namespace(str(DCTERMS)), "prov": Namespace(str(PROV)), "cito": CITO, "org": ORG,
    "schema": SCHEMA, "oa": OA, "dcat": DCAT, "void": VOID, "sh": Namespace("http://www.w3.org/ns/shacl#"),
    "foaf": Namespace("http://xmlns.com/foaf/0.1/"),
}

STAGES = ("request", "budget_draft", "budget", "supplementary", "fund", "other")
# Extraction (gold) stage codes → graph stage codes. 前年度予算額 is the enacted budget of FY N−1.
STAGE_OF_RECORD = {s: s for s in STAGES} | {"previous_year_budget": "budget"}
INSTRUMENTS = {
    "補助金": "subsidy", "委託": "commission", "補助": "aid", "運営費交付金": "operating_grant",
    "交付金": "grant", "基金": "fund", "other": "other",
}
ROLES = ("implementer", "funding_agency", "host", "recipient", "partner", "bureau")
DOCUMENT_KINDS = ("budget_request", "draft_budget", "supplementary_budget", "objectives_change", "policy_briefing")
# Policy-basis kinds (registry ``type`` of strategies.yaml, extraction ``basis_kind``) → ontology classes.
# The first four are strategies (stikg:Strategy and its subclasses: the strategy queries see them);
# laws, decisions and agreements are other kinds of stikg:PolicyBasis.
BASIS_CLASSES = {
    "strategy": "Strategy", "plan": "Plan", "policy": "PolicyStatement", "report": "Report",
    "law": "Law", "decision": "Decision", "agreement": "Agreement",
}
STRATEGY_KINDS = ("strategy", "plan", "policy", "report")
# Organization registry types → ontology classes.
ORG_CLASSES = {
    "government": "GovernmentBody", "ministry": "Ministry", "bureau": "Bureau", "office": "Bureau",
    "funding_agency": "FundingAgency", "research_institute": "ResearchInstitute",
    "university": "University", "inter_university": "University", "council": "Council",
    "company": "Company", "other": "Organization",
}


_ISSUER_SITES = (("財務省", "財務省ウェブサイト", "MOF website"), ("厚生労働省", "厚生労働省ウェブサイト", "MHLW website"),
                 ("内閣府", "内閣府ウェブサイト", "Cabinet Office website"))


def rights_statement(issuer: str) -> str:
    """The attribution the Government of Japan Standard Terms of Use ask for, by the issuing ministry."""
    ja_site, en_site = "文部科学省ウェブサイト", "MEXT website"
    for prefix, ja, en in _ISSUER_SITES:
        if issuer.startswith(prefix):
            ja_site, en_site = ja, en
    return (f"出典：{ja_site} (政府標準利用規約 第2.0版, CC BY 4.0 互換) / "
            f"Source: {en_site}, Government of Japan Standard Terms of Use 2.0")


def stage_concept(code: str) -> URIRef:
    return STIKG[f"stage-{code}"]


def instrument_concept(printed: str) -> URIRef:
    return STIKG[f"instrument-{INSTRUMENTS.get(printed, 'other')}"]


def role_concept(code: str) -> URIRef:
    return STIKG[f"role-{code}"]


def kind_concept(code: str) -> URIRef:
    return STIKG[f"kind-{code}"]


def entity(kind: str, slug: str) -> URIRef:
    """``{BASE}{kind}/{slug}`` e.g. ``…/program/kakenhi``."""
    return URIRef(f"{base_iri()}{kind}/{slug}")


def unregistered(kind: str, printed_name: str) -> URIRef:
    """IRI for a name the registry does not know: ``{BASE}{kind}/x-{hash of its name key}``."""
    return entity(kind, "x-" + digest(name_key(printed_name), length=12))


def document_iri(stem: str) -> URIRef:
    return entity("document", stem)


def graph_iri(name: str) -> URIRef:
    """Named graph IRI: ``{BASE}graph/{name}`` (e.g. ``document/000_…``, ``registry``)."""
    return URIRef(f"{base_iri()}graph/{name}")
