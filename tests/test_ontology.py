"""The OWL 2 ontology ``ontology/stikg.ttl``: terms, labels, alignments and OWL 2 RL consistency."""

from __future__ import annotations

import re
import time
from pathlib import Path

import owlrl
import pytest
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "stikg.ttl"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"

STIKG = Namespace("https://w3id.org/stikg/ontology#")
ONTOLOGY_IRI = URIRef("https://w3id.org/stikg/ontology")
ORG = Namespace("http://www.w3.org/ns/org#")
CITO = Namespace("http://purl.org/spar/cito/")
SCHEMA = Namespace("https://schema.org/")
OA = Namespace("http://www.w3.org/ns/oa#")
FRAPO = Namespace("http://purl.org/cerif/frapo/")
OBEU_PHASE = Namespace("http://data.openbudgets.eu/resource/codelist/budget-phase/")

# Terms added beyond docs/ARCHITECTURE.md (each documented in the ontology).
ADDED_TERMS = {
    STIKG.ProgramFact,  # abstract superclass of the five fact classes: domain of the shared fact links
    STIKG.hasCitation,  # named inverse of citingProgram, for the cito:citesAsAuthority property chain
    STIKG.issuerText,  # the issuer as printed; the mapping writes it on every SourceDocument
    STIKG.PartialDate,  # datatype xsd:date ∪ xsd:gYearMonth ∪ xsd:gYear (decision and issue dates)
    STIKG.AmountFact,  # abstract superclass of allocations and programme budgets: domain of the amount terms
    STIKG.ProgramBudget,  # one figure per programme × year × stage × document, derived at build time
    STIKG.summarisesAllocation, STIKG.includedInBudgetOf, STIKG.isSelectedFigure,  # its links (totals)
    STIKG.disagreesWith,  # between budgets of documents printing different amounts (document_disagreements)
}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def closure(graph: Graph) -> tuple[Graph, float]:
    """owlrl's OWL 2 RL closure of a copy of ``graph`` (as the build runs it) and the seconds taken."""
    closed = Graph()
    for triple in graph:
        closed.add(triple)
    start = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closed)
    return closed, time.perf_counter() - start


def inconsistencies(graph: Graph) -> list[str]:
    """How owlrl signals an inconsistency: err:ErrorMessage nodes (e.g. an individual in two
    disjoint classes, an irreflexive property used reflexively), and individuals typed owl:Nothing."""
    messages = [str(m) for e in graph.subjects(RDF.type, ERRNS.ErrorMessage) for m in graph.objects(e, ERRNS.error)]
    messages += [f"{s} is of type owl:Nothing" for s in graph.subjects(RDF.type, OWL.Nothing)]
    return sorted(messages)


def union_of(path: Path) -> Graph:
    """All graphs of a TriG/Turtle fixture merged, as the build merges the named graphs."""
    dataset = Dataset()
    dataset.parse(path, format="trig" if path.suffix == ".trig" else "turtle")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def architecture_terms() -> set[URIRef]:
    """Every ``stikg:`` term named in ARCHITECTURE.md's "RDF vocabulary" section.

    Abbreviated concept lists (```stikg:instrument-subsidy` …, `-commission` …``) are expanded
    with the prefix of the last full term.
    """
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## RDF vocabulary", 1)[1].split("\n## ", 1)[0]
    terms: set[URIRef] = set()
    last = None
    for token in re.findall(r"`([^`]+)`", section):
        for name in re.findall(r"\bstikg:([A-Za-z][A-Za-z0-9_-]*)", token):
            terms.add(STIKG[name])
            last = name
        if token.startswith("-") and last is not None:
            terms.add(STIKG[last.split("-", 1)[0] + token])
    return terms


def local_terms(graph: Graph, *types: URIRef) -> set[URIRef]:
    return {s for t in types for s in graph.subjects(RDF.type, t)
            if isinstance(s, URIRef) and str(s).startswith(str(STIKG))}


def langs(graph: Graph, subject: URIRef, predicate: URIRef) -> set[str]:
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal) and o.language}


# ---- the document parses and describes itself --------------------------------------------------

def test_ontology_parses_with_header(ontology):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert langs(ontology, ONTOLOGY_IRI, DCTERMS.title) >= {"ja", "en"}
    assert langs(ontology, ONTOLOGY_IRI, DCTERMS.description) >= {"ja", "en"}
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.license) is not None
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.creator) == Literal("stikg project")


def test_parsing_is_deterministic():
    """Two parses give isomorphic graphs (blank nodes only in OWL lists and n-ary axioms)."""
    from rdflib.compare import isomorphic

    assert isomorphic(Graph().parse(ONTOLOGY), Graph().parse(ONTOLOGY))


def test_blank_nodes_only_where_owl_needs_them(ontology):
    allowed_types = {RDF.List, OWL.AllDisjointClasses, RDFS.Datatype}
    for node in {t for triple in ontology for t in (triple[0], triple[2]) if isinstance(t, BNode)}:
        types = set(ontology.objects(node, RDF.type))
        is_list = (node, RDF.first, None) in ontology
        assert is_list or types & allowed_types, f"unexpected blank node {node}: {list(ontology.predicate_objects(node))}"


# ---- every term the architecture names exists, with labels and definitions -----------------------

def test_architecture_list_is_parsed():
    terms = architecture_terms()
    assert len(terms) >= 90
    assert {STIKG.BudgetAllocation, STIKG.forProgram, STIKG["instrument-operating_grant"],
            STIKG["role-funding_agency"], STIKG["kind-policy_briefing"], STIKG["stage-budget_draft"]} <= terms


def test_every_architecture_term_is_defined(ontology):
    missing = sorted(t for t in architecture_terms() if (t, RDF.type, None) not in ontology)
    assert not missing, f"terms named in ARCHITECTURE.md but not defined: {missing}"


def test_external_terms_named_in_architecture_are_declared(ontology):
    for term in (CITO.citesAsAuthority, ORG.subOrganizationOf, ORG.hasSubOrganization):
        assert (term, RDF.type, OWL.ObjectProperty) in ontology


def test_added_terms_are_the_documented_ones(ontology):
    defined = local_terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDFS.Datatype,
                          SKOS.ConceptScheme, SKOS.Concept)
    assert defined - architecture_terms() == ADDED_TERMS


CLASSES = {"Strategy", "Program", "Organization", "GovernmentBody", "Ministry", "Bureau", "FundingAgency",
           "ResearchInstitute", "University", "Council", "Company", "Hub", "BudgetAllocation", "FundingFlow",
           "Citation", "OrganizationRole", "SourceDocument", "Evidence", "ProgramPeriod", "ProgramFact",
           "PolicyBasis", "Plan", "PolicyStatement", "Report", "Law", "Decision", "Agreement",
           "AmountFact", "ProgramBudget"}
OBJECT_PROPERTIES = {
    "decidedBy", "previousEdition", "nextEdition", "subProgramOf", "hasSubProgram", "predecessor", "successor",
    "fundedBy", "implementedBy", "managedBy", "hasBudgetAllocation", "hasCitation", "hostedBy", "hubOfProgram",
    "forProgram", "reportedIn", "hasEvidence", "budgetStage", "fromOrganization", "toOrganization",
    "fundingInstrument", "citingProgram", "citedStrategy", "organization", "role", "sourceDocument",
    "documentKind", "citedBasis", "restsOn", "summarisesAllocation", "includedInBudgetOf",
    "disagreesWith"}
DATATYPE_PROPERTIES = {
    "editionYear", "decisionDate", "strategyType", "shortName", "fiscalYear", "amountYen", "isPartial",
    "amountText", "supplementaryRound", "fundYears", "isNew", "strategyText", "printedDecisionDate",
    "printedDecisionBody", "printedName", "startFiscalYear", "endFiscalYear", "line", "quote", "fileName",
    "lineCount", "issuerText", "article", "partialText", "isSelectedFigure"}


def test_classes_and_properties_have_the_right_kind(ontology):
    assert local_terms(ontology, OWL.Class) == {STIKG[n] for n in CLASSES}
    assert local_terms(ontology, OWL.ObjectProperty) == {STIKG[n] for n in OBJECT_PROPERTIES}
    assert local_terms(ontology, OWL.DatatypeProperty) == {STIKG[n] for n in DATATYPE_PROPERTIES}


def test_every_term_has_japanese_and_english_label_and_definition(ontology):
    problems = []
    for term in sorted(local_terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                                   RDFS.Datatype, SKOS.ConceptScheme)):
        if langs(ontology, term, RDFS.label) < {"ja", "en"}:
            problems.append(f"{term}: rdfs:label @ja and @en")
        if (langs(ontology, term, RDFS.comment) | langs(ontology, term, SKOS.definition)) < {"ja", "en"}:
            problems.append(f"{term}: rdfs:comment or skos:definition @ja and @en")
        if ontology.value(term, RDFS.isDefinedBy) != ONTOLOGY_IRI:
            problems.append(f"{term}: rdfs:isDefinedBy the ontology")
    assert not problems, "\n".join(problems)


def test_labels_are_unique_per_language(ontology):
    for term in local_terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        labels = [o.language for o in ontology.objects(term, RDFS.label)]
        assert len(labels) == len(set(labels)), term


# ---- concept schemes ---------------------------------------------------------------------------

SCHEMES = {
    STIKG.BudgetStageScheme: ("stage", ["request", "budget_draft", "budget", "supplementary", "fund", "other"]),
    STIKG.FundingInstrumentScheme: ("instrument", ["subsidy", "commission", "aid", "operating_grant", "grant",
                                                   "fund", "other"]),
    STIKG.OrganizationRoleScheme: ("role", ["implementer", "funding_agency", "host", "recipient", "partner",
                                            "bureau"]),
    STIKG.DocumentKindScheme: ("kind", ["budget_request", "draft_budget", "supplementary_budget", "objectives_change",
                                        "policy_briefing"]),
}


@pytest.mark.parametrize("scheme", sorted(SCHEMES), ids=lambda s: s.split("#")[1])
def test_concept_scheme(ontology, scheme):
    prefix, codes = SCHEMES[scheme]
    assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology
    concepts = set(ontology.subjects(SKOS.inScheme, scheme))
    assert concepts == {STIKG[f"{prefix}-{code}"] for code in codes}
    assert set(ontology.objects(scheme, SKOS.hasTopConcept)) == concepts
    for code in codes:
        concept = STIKG[f"{prefix}-{code}"]
        assert (concept, RDF.type, SKOS.Concept) in ontology
        assert list(ontology.objects(concept, SKOS.notation)) == [Literal(code)]
        assert sorted(langs(ontology, concept, SKOS.prefLabel)) == ["en", "ja"]
        assert langs(ontology, concept, SKOS.definition) >= {"ja", "en"}
        assert (concept, SKOS.topConceptOf, scheme) in ontology


@pytest.mark.parametrize("concept, ja, en", [
    ("stage-request", "要求・要望額", "budget request"),
    ("stage-budget_draft", "予算額（案）", "draft budget"),
    ("stage-budget", "予算額", "enacted budget"),
    ("stage-supplementary", "補正予算額", "supplementary budget"),
    ("stage-fund", "基金", "fund"),
    ("instrument-subsidy", "補助金", "subsidy"),
    ("instrument-commission", "委託", "commission"),
    ("instrument-aid", "補助", "aid"),
    ("instrument-operating_grant", "運営費交付金", "operating grant"),
    ("instrument-grant", "交付金", "grant"),
    ("instrument-fund", "基金", "fund"),
])
def test_concept_labels(ontology, concept, ja, en):
    assert (STIKG[concept], SKOS.prefLabel, Literal(ja, lang="ja")) in ontology
    assert (STIKG[concept], SKOS.prefLabel, Literal(en, lang="en")) in ontology


def test_budget_stages_match_openbudgets_phases(ontology):
    assert (STIKG["stage-budget_draft"], SKOS.closeMatch, OBEU_PHASE.draft) in ontology
    assert (STIKG["stage-budget"], SKOS.closeMatch, OBEU_PHASE.approved) in ontology
    assert (STIKG["stage-supplementary"], SKOS.closeMatch, OBEU_PHASE.revised) in ontology
    assert (STIKG["stage-request"], SKOS.broadMatch, OBEU_PHASE.draft) in ontology
    for phase in (OBEU_PHASE.draft, OBEU_PHASE.approved, OBEU_PHASE.revised):
        assert (phase, RDF.type, SKOS.Concept) in ontology


# ---- alignments are axioms -----------------------------------------------------------------------

ALIGNMENTS = [
    # W3C ORG
    (STIKG.Organization, RDFS.subClassOf, ORG.Organization),
    (STIKG.Bureau, RDFS.subClassOf, ORG.OrganizationalUnit),
    (STIKG.Hub, RDFS.subClassOf, ORG.Site),
    (STIKG.hostedBy, RDFS.subPropertyOf, ORG.siteOf),
    (ORG.subOrganizationOf, OWL.inverseOf, ORG.hasSubOrganization),
    # PROV-O
    (STIKG.SourceDocument, RDFS.subClassOf, PROV.Entity),
    (STIKG.Evidence, RDFS.subClassOf, PROV.Entity),
    (STIKG.Strategy, RDFS.subClassOf, PROV.Entity),
    (STIKG.ProgramFact, RDFS.subClassOf, PROV.Entity),
    (STIKG.Organization, RDFS.subClassOf, PROV.Agent),
    (STIKG.reportedIn, RDFS.subPropertyOf, PROV.wasDerivedFrom),
    (STIKG.previousEdition, RDFS.subPropertyOf, PROV.wasRevisionOf),
    (STIKG.sourceDocument, RDFS.subPropertyOf, PROV.wasQuotedFrom),
    (STIKG.decidedBy, RDFS.subPropertyOf, PROV.wasAttributedTo),
    # CiTO
    (STIKG.Citation, RDFS.subClassOf, CITO.Citation),
    (STIKG.citingProgram, RDFS.subPropertyOf, CITO.hasCitingEntity),
    (STIKG.citedStrategy, RDFS.subPropertyOf, CITO.hasCitedEntity),
    (STIKG.hasCitation, OWL.inverseOf, STIKG.citingProgram),
    # DCTERMS
    (STIKG.subProgramOf, RDFS.subPropertyOf, DCTERMS.isPartOf),
    (STIKG.hasSubProgram, RDFS.subPropertyOf, DCTERMS.hasPart),
    (STIKG.predecessor, RDFS.subPropertyOf, DCTERMS.replaces),
    (STIKG.successor, RDFS.subPropertyOf, DCTERMS.isReplacedBy),
    (STIKG.documentKind, RDFS.subPropertyOf, DCTERMS.type),
    # FOAF, Web Annotation
    (STIKG.SourceDocument, RDFS.subClassOf, FOAF.Document),
    (STIKG.Evidence, RDFS.subClassOf, OA.TextQuoteSelector),
    (STIKG.quote, RDFS.subPropertyOf, OA.exact),
    # schema.org
    (STIKG.SourceDocument, RDFS.subClassOf, SCHEMA.DigitalDocument),
    (STIKG.Strategy, RDFS.subClassOf, SCHEMA.CreativeWork),
    (STIKG.Program, RDFS.subClassOf, SCHEMA.Project),
    (STIKG.Organization, RDFS.subClassOf, SCHEMA.Organization),
    (STIKG.BudgetAllocation, RDFS.subClassOf, SCHEMA.MonetaryAmount),
    (STIKG.amountYen, RDFS.subPropertyOf, SCHEMA.value),
    # FRAPO
    (STIKG.Program, RDFS.subClassOf, FRAPO.FundingProgramme),
    (STIKG.FundingAgency, RDFS.subClassOf, FRAPO.FundingAgency),
    (STIKG.BudgetAllocation, RDFS.subClassOf, FRAPO.BudgetInformation),
    (STIKG.FundingFlow, RDFS.subClassOf, FRAPO.Funding),
]


@pytest.mark.parametrize("triple", ALIGNMENTS, ids=lambda t: f"{t[0].n3().split('/')[-1]}-{t[2].n3().split('/')[-1]}")
def test_alignment_axiom(ontology, triple):
    assert triple in ontology


def test_alignment_targets_are_declared(ontology):
    """Every external class or property we align to is declared (typed, with rdfs:isDefinedBy)."""
    targets = {o for p in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.inverseOf, SKOS.closeMatch, SKOS.broadMatch)
               for o in ontology.objects(None, p) if isinstance(o, URIRef) and not str(o).startswith(str(STIKG))}
    undeclared = sorted(t for t in targets if (t, RDF.type, None) not in ontology
                        or ontology.value(t, RDFS.isDefinedBy) is None)
    assert not undeclared


def test_cites_as_authority_is_a_property_chain(ontology):
    chain = ontology.value(CITO.citesAsAuthority, OWL.propertyChainAxiom)
    assert list(Collection(ontology, chain)) == [STIKG.hasCitation, STIKG.citedStrategy]
    assert (STIKG.hasCitation, OWL.inverseOf, STIKG.citingProgram) in ontology


@pytest.mark.parametrize("a, b", [
    ("previousEdition", "nextEdition"), ("subProgramOf", "hasSubProgram"), ("predecessor", "successor"),
    ("hasCitation", "citingProgram"),
])
def test_inverse_pairs(ontology, a, b):
    assert (STIKG[a], OWL.inverseOf, STIKG[b]) in ontology or (STIKG[b], OWL.inverseOf, STIKG[a]) in ontology


FUNCTIONAL = {"forProgram", "reportedIn", "fiscalYear", "budgetStage", "amountYen", "isPartial",
              "supplementaryRound", "fromOrganization", "toOrganization", "fundingInstrument", "citingProgram",
              "citedStrategy", "organization", "role", "startFiscalYear", "endFiscalYear", "sourceDocument",
              "line", "quote", "fileName", "lineCount", "documentKind", "editionYear", "decisionDate",
              "strategyType", "previousEdition", "citedBasis", "partialText", "isSelectedFigure"}


def test_functional_properties(ontology):
    """Functional exactly where the value is part of the node's identity (see the ontology header):
    never on links a document could give twice, such as a programme's parent."""
    assert local_terms(ontology, OWL.FunctionalProperty) == {STIKG[n] for n in FUNCTIONAL}
    assert (STIKG.subProgramOf, RDF.type, OWL.FunctionalProperty) not in ontology


def test_domains_and_ranges(ontology):
    assert ontology.value(STIKG.forProgram, RDFS.domain) == STIKG.ProgramFact
    assert ontology.value(STIKG.forProgram, RDFS.range) == STIKG.Program
    assert ontology.value(STIKG.reportedIn, RDFS.range) == STIKG.SourceDocument
    assert ontology.value(STIKG.amountYen, RDFS.range) == XSD.integer
    assert ontology.value(STIKG.isPartial, RDFS.range) == XSD.boolean
    assert ontology.value(STIKG.budgetStage, RDFS.range) == SKOS.Concept
    # shared by classes that have no common superclass: no rdfs:domain, documented with schema:domainIncludes
    for shared in (STIKG.fiscalYear, STIKG.shortName):
        assert ontology.value(shared, RDFS.domain) is None
        assert len(set(ontology.objects(shared, SCHEMA.domainIncludes))) == 2
    # every fact class is a ProgramFact, so the domain of the shared fact links is true of each
    for cls in ("BudgetAllocation", "ProgramBudget", "FundingFlow", "Citation", "OrganizationRole", "ProgramPeriod"):
        assert STIKG.ProgramFact in set(ontology.transitive_objects(STIKG[cls], RDFS.subClassOf)), cls
    # the amount terms are shared by printed allocations and derived programme budgets
    for prop in (STIKG.amountYen, STIKG.isPartial, STIKG.budgetStage, STIKG.supplementaryRound):
        assert ontology.value(prop, RDFS.domain) == STIKG.AmountFact
    for cls in ("BudgetAllocation", "ProgramBudget"):
        assert (STIKG[cls], RDFS.subClassOf, STIKG.AmountFact) in ontology


def test_shortcut_ranges_are_not_narrower_than_organization(ontology):
    """A narrower range would type e.g. a ministry as a funding agency and clash with disjointness."""
    for prop in ("fundedBy", "implementedBy", "managedBy", "hostedBy", "decidedBy", "organization",
                 "fromOrganization", "toOrganization"):
        assert ontology.value(STIKG[prop], RDFS.range) == STIKG.Organization


def disjoint_groups(graph: Graph) -> list[set[URIRef]]:
    groups = [set(Collection(graph, graph.value(node, OWL.members)))
              for node in graph.subjects(RDF.type, OWL.AllDisjointClasses)]
    groups += [{a, b} for a, b in graph.subject_objects(OWL.disjointWith)]
    return groups


def test_disjointness(ontology):
    groups = disjoint_groups(ontology)

    def disjoint(a: str, b: str) -> bool:
        return any({STIKG[a], STIKG[b]} <= g for g in groups)

    # strategies are policy bases (as are laws, decisions, agreements): disjointness is stated for the whole kind
    assert (STIKG.Strategy, RDFS.subClassOf, STIKG.PolicyBasis) in ontology
    for sub in ("Plan", "PolicyStatement", "Report"):
        assert (STIKG[sub], RDFS.subClassOf, STIKG.Strategy) in ontology
    for sub in ("Law", "Decision", "Agreement"):
        assert (STIKG[sub], RDFS.subClassOf, STIKG.PolicyBasis) in ontology
    for a, b in [("Program", "Organization"), ("Program", "PolicyBasis"), ("Organization", "PolicyBasis"),
                 ("SourceDocument", "Program"), ("SourceDocument", "PolicyBasis"), ("SourceDocument", "Organization"),
                 ("Hub", "Organization"), ("Evidence", "SourceDocument"), ("BudgetAllocation", "FundingFlow"),
                 ("Citation", "OrganizationRole"), ("GovernmentBody", "University"), ("University", "Company"),
                 ("GovernmentBody", "FundingAgency"), ("GovernmentBody", "ResearchInstitute"),
                 ("Ministry", "Bureau")]:
        assert disjoint(a, b), (a, b)
    # a class is never declared disjoint with one of its superclasses
    for group in groups:
        for cls in group:
            supers = set(ontology.transitive_objects(cls, RDFS.subClassOf)) - {cls}
            assert not supers & group, (cls, supers & group)


# ---- OWL 2 RL consistency (owlrl, as the build runs it) ------------------------------------------

def test_owlrl_closure_of_the_ontology_is_consistent(ontology):
    closed, seconds = closure(ontology)
    assert inconsistencies(closed) == []
    assert seconds < 30


def test_owlrl_closure_of_ontology_and_valid_data_is_consistent(ontology):
    data = union_of(FIXTURES / "valid.trig")
    closed, _ = closure(ontology + data)
    assert inconsistencies(closed) == []


def test_owlrl_entailments_are_the_intended_ones(ontology):
    data = union_of(FIXTURES / "valid.trig")
    programme = URIRef("https://w3id.org/stikg/program/life-science-rd")
    strategy = URIRef("https://w3id.org/stikg/strategy/integrated-innovation-strategy-2024")
    citation = URIRef("https://w3id.org/stikg/citation/c-001")
    data.remove((programme, CITO.citesAsAuthority, None))  # must come back from the property chain
    closed, _ = closure(ontology + data)
    allocation = URIRef("https://w3id.org/stikg/allocation/a-001-fy2025-draft")
    hub = URIRef("https://w3id.org/stikg/hub/utokyo-translational")
    host = URIRef("https://w3id.org/stikg/organization/university-of-tokyo")
    bureau = URIRef("https://w3id.org/stikg/organization/mext-life-science-division")
    ministry = URIRef("https://w3id.org/stikg/organization/mext")
    expected = [
        (programme, STIKG.hasCitation, citation),
        (programme, CITO.citesAsAuthority, strategy),
        (programme, CITO.cites, strategy),
        (citation, STIKG.forProgram, programme),
        (allocation, RDF.type, STIKG.ProgramFact),
        (allocation, RDF.type, PROV.Entity),
        (allocation, PROV.wasDerivedFrom, URIRef("https://w3id.org/stikg/document/001_ed80bdeb1e1ef2d9")),
        (hub, ORG.siteOf, host),
        (bureau, ORG.transitiveSubOrganizationOf, ministry),
        (ministry, ORG.hasSubOrganization, URIRef("https://w3id.org/stikg/organization/mext-research-promotion-bureau")),
        (URIRef("https://w3id.org/stikg/program/translational-research"), DCTERMS.isPartOf, programme),
        (strategy, PROV.wasRevisionOf, URIRef("https://w3id.org/stikg/strategy/integrated-innovation-strategy-2023")),
    ]
    missing = [t for t in expected if t not in closed]
    assert not missing
    # no wrong types from shared properties: a funding flow is not typed as an allocation, a
    # programme's organisations keep their own class only
    flow = URIRef("https://w3id.org/stikg/flow/f-001-state-amed")
    assert (flow, RDF.type, STIKG.BudgetAllocation) not in closed
    assert (URIRef("https://w3id.org/stikg/organization/amed"), RDF.type, STIKG.GovernmentBody) not in closed
    assert not list(closed.subject_objects(OWL.sameAs)) or all(s == o for s, o in closed.subject_objects(OWL.sameAs))


def test_owlrl_finds_individuals_in_disjoint_classes(ontology):
    """The invalid fixture has an organisation that is both a university and a company."""
    closed, _ = closure(ontology + union_of(FIXTURES / "invalid.ttl"))
    messages = inconsistencies(closed)
    assert messages and all("organization/clash" in m for m in messages)


def test_owlrl_finds_a_programme_that_is_its_own_parent(ontology):
    loop = URIRef("https://w3id.org/stikg/program/loop")
    data = Graph()
    data.add((loop, RDF.type, STIKG.Program))
    data.add((loop, STIKG.subProgramOf, loop))
    closed, _ = closure(ontology + data)
    assert any("Irreflexive" in m for m in inconsistencies(closed))
