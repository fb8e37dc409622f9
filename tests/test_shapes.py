"""The SHACL shapes ``shapes/stikg-shapes.ttl``: coverage of the ontology, and their verdicts on fixtures."""

from __future__ import annotations

from pathlib import Path

import owlrl
import pyshacl
import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from rdflib.plugins.sparql import prepareQuery

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "stikg.ttl"
SHAPES = ROOT / "shapes" / "stikg-shapes.ttl"
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"

STIKG = Namespace("https://w3id.org/stikg/ontology#")
STIKGSH = Namespace("https://w3id.org/stikg/shapes#")
BASE = "https://w3id.org/stikg/"

# Classes that never have direct instances, so no shape targets them.
ABSTRACT = {
    STIKG.ProgramFact: "abstract superclass of the five fact classes; each of them has its own shape",
    STIKG.AmountFact: "abstract superclass of allocations and programme budgets; each has its own shape",
}

# Ontology properties that no shape constrains, and why.
UNCONSTRAINED = {
    STIKG.hasCitation: "only entailed by OWL 2 RL (inverse of citingProgram), never asserted",
}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def union_of(path: Path) -> Graph:
    """All graphs of a TriG/Turtle fixture merged, as the build merges the named graphs."""
    dataset = Dataset()
    dataset.parse(path, format="trig" if path.suffix == ".trig" else "turtle")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def validate(data: Graph, shapes: Graph, ontology: Graph | None, inference: str = "none",
             advanced: bool = True) -> set[tuple[str, str, str]]:
    """The results as (severity, focus node relative to the base, source shape local name)."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference=inference,
                                    advanced=advanced, allow_warnings=True, allow_infos=True)
    return {(str(report.value(r, SH.resultSeverity)).split("#")[1],
             str(report.value(r, SH.focusNode)).removeprefix(BASE),
             str(report.value(r, SH.sourceShape)).removeprefix(str(STIKGSH)))
            for r in report.subjects(RDF.type, SH.ValidationResult)}


def messages(data: Graph, shapes: Graph, ontology: Graph) -> dict[str, list[str]]:
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                    advanced=True, allow_warnings=True)
    out: dict[str, list[str]] = {}
    for r in report.subjects(RDF.type, SH.ValidationResult):
        out.setdefault(str(report.value(r, SH.focusNode)).removeprefix(BASE), []).append(
            str(report.value(r, SH.resultMessage)))
    return out


def langs(graph: Graph, subject, predicate) -> set[str]:
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal) and o.language}


def stikg_classes(ontology: Graph) -> set[URIRef]:
    return {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(STIKG))}


# ---- the shapes cover the ontology --------------------------------------------------------------

def test_shapes_parse(shapes):
    assert len(list(shapes.subjects(RDF.type, SH.NodeShape))) >= 20


def test_every_instantiable_class_has_a_shape_targeting_it(ontology, shapes):
    targeted = set(shapes.objects(None, SH.targetClass))
    missing = sorted(c for c in stikg_classes(ontology) - set(ABSTRACT) if c not in targeted)
    assert not missing, f"classes without a shape: {missing}"
    assert set(ABSTRACT) <= stikg_classes(ontology)


def test_every_class_has_its_own_named_shape(ontology, shapes):
    for cls in stikg_classes(ontology) - set(ABSTRACT):
        shape = STIKGSH[f"{cls.split('#')[1]}Shape"]
        assert (shape, SH.targetClass, cls) in shapes, shape


def test_every_node_shape_has_name_and_description_in_japanese_and_english(shapes):
    problems = [str(s) for s in shapes.subjects(RDF.type, SH.NodeShape)
                if langs(shapes, s, SH.name) < {"ja", "en"} or langs(shapes, s, SH.description) < {"ja", "en"}]
    assert not problems


def test_every_constraint_has_a_deliberate_severity(shapes):
    """Targeted node shapes and every property shape they use state their severity."""
    targeted = {s for p in (SH.targetClass, SH.targetSubjectsOf, SH.target) for s in shapes.subjects(p, None)}
    property_shapes = {ps for s in targeted for ps in shapes.objects(s, SH.property)}
    for shape in property_shapes:
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape
    for shape in targeted:
        node_level = any(shapes.value(shape, p) is not None for p in (SH["not"], SH["or"], SH.sparql))
        if node_level:
            assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape


def test_property_shapes_are_named(shapes):
    """Named property shapes give stable sh:sourceShape IRIs, so the SHACL report is reproducible."""
    for shape in shapes.objects(None, SH.property):
        assert isinstance(shape, URIRef), shape


def test_severities_are_used_deliberately(shapes):
    def severity(name: str):
        return shapes.value(STIKGSH[name], SH.severity)

    assert severity("BudgetAllocation-fiscalYear") == SH.Violation
    assert severity("BudgetAllocation-budgetStage") == SH.Violation
    assert severity("fact-forProgram") == SH.Violation
    assert severity("fact-hasEvidence") == SH.Violation
    assert severity("BudgetAllocationShape") == SH.Violation  # amount or text (sh:or)
    assert severity("Evidence-line") == SH.Violation
    assert severity("label-ja") == SH.Violation
    assert severity("label-en") == SH.Warning
    assert severity("BudgetAllocationAgreementShape") == SH.Warning
    assert severity("BudgetAllocation-amountYen-known") == SH.Info


def shape_paths(shapes: Graph) -> set[URIRef]:
    """Every property that occurs in a sh:path (also inside sequence and inverse paths)."""
    found: set[URIRef] = set()

    def walk(node):
        if isinstance(node, URIRef):
            found.add(node)
        elif (node, RDF.first, None) in shapes:
            for item in Collection(shapes, node):
                walk(item)
        elif isinstance(node, BNode):
            for p in (SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
                for inner in shapes.objects(node, p):
                    walk(inner)

    for path in shapes.objects(None, SH.path):
        walk(path)
    return found


def test_every_ontology_property_is_constrained(ontology, shapes):
    properties = {p for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for p in ontology.subjects(RDF.type, t)
                  if str(p).startswith(str(STIKG))}
    missing = sorted(properties - shape_paths(shapes) - set(UNCONSTRAINED))
    assert not missing, f"properties no shape constrains: {missing}"


@pytest.mark.parametrize("shape, scheme", [
    ("BudgetAllocation-budgetStage", "BudgetStageScheme"),
    ("FundingFlow-fundingInstrument", "FundingInstrumentScheme"),
    ("OrganizationRole-role", "OrganizationRoleScheme"),
    ("SourceDocument-documentKind", "DocumentKindScheme"),
])
def test_code_lists_match_the_concept_schemes(ontology, shapes, shape, scheme):
    allowed = list(Collection(shapes, shapes.value(STIKGSH[shape], SH["in"])))
    assert sorted(allowed) == sorted(ontology.subjects(SKOS.inScheme, STIKG[scheme]))


def test_sparql_queries_parse(shapes):
    for query in shapes.objects(None, SH.select):
        prepareQuery(str(query))


# ---- verdicts on fixtures -----------------------------------------------------------------------

@pytest.mark.parametrize("inference", ["none", "rdfs"])
def test_valid_fixture_conforms_without_any_result(ontology, shapes, inference):
    assert validate(union_of(FIXTURES / "valid.trig"), shapes, ontology, inference) == set()


def test_valid_fixture_conforms_after_owl_rl_reasoning(ontology, shapes):
    """As the build validates: the asserted triples plus the new OWL 2 RL entailments about the
    data's nodes (not the ontology's own triples, no blank nodes, no reflexive owl:sameAs)."""
    data = union_of(FIXTURES / "valid.trig")
    closed = Graph()
    for triple in ontology + data:
        closed.add(triple)
    before = set(closed)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closed)
    nodes = set(data.subjects()) | {o for o in data.objects() if isinstance(o, URIRef)}
    reasoned = Graph()
    for triple in data:
        reasoned.add(triple)
    for s, p, o in closed:
        if (s, p, o) not in before and s in nodes and not isinstance(o, BNode) and not (p == OWL.sameAs and s == o):
            reasoned.add((s, p, o))
    assert len(reasoned) > len(data)
    assert validate(reasoned, shapes, ontology) == set()


def test_the_ontology_code_lists_conform(ontology, shapes):
    """The concept schemes and concepts of the ontology, validated as data."""
    assert validate(ontology, shapes, None) == set()


def test_a_broken_concept_is_reported(ontology, shapes):
    data = Graph()
    concept = URIRef(BASE + "ontology#stage-broken")
    data.add((concept, SKOS.inScheme, STIKG.BudgetStageScheme))
    data.add((concept, SKOS.prefLabel, Literal("壊れた", lang="ja")))
    assert validate(data, shapes, None) == {
        ("Violation", "ontology#stage-broken", "Concept-notation"),
        ("Violation", "ontology#stage-broken", "Concept-prefLabel-en"),
        ("Violation", "ontology#stage-broken", "Concept-inScheme"),
    }


EXPECTED_INVALID = {
    ("Violation", "allocation/no-year", "BudgetAllocation-fiscalYear"),
    ("Violation", "evidence/doc-a/line0", "Evidence-line"),
    ("Violation", "document/doc-a", "SourceDocument-evidence-lines"),  # evidence line 150 of 100
    ("Violation", "allocation/bad-stage", "BudgetAllocation-budgetStage"),
    ("Violation", "allocation/wrong-doc", "fact-evidence-document"),
    ("Violation", "program/no-ja", "label-ja"),
    ("Violation", "organization/clash", "UniversityShape"),
    ("Violation", "allocation/bare", "BudgetAllocationShape"),  # neither amountYen nor amountText
    ("Violation", "allocation/bare", "fact-forProgram"),
    ("Violation", "allocation/bare", "fact-hasEvidence"),
    ("Violation", "allocation/bare", "fact-evidence-document"),
    ("Info", "allocation/bare", "BudgetAllocation-amountYen-known"),
    ("Warning", "allocation/d1", "BudgetAllocationAgreementShape"),
    ("Warning", "allocation/d2", "BudgetAllocationAgreementShape"),
}


@pytest.mark.parametrize("inference", ["none", "rdfs"])
def test_invalid_fixture_gives_the_expected_results(ontology, shapes, inference):
    assert validate(union_of(FIXTURES / "invalid.ttl"), shapes, ontology, inference) == EXPECTED_INVALID


def test_disagreement_message_names_documents_and_amounts(ontology, shapes):
    found = messages(union_of(FIXTURES / "invalid.ttl"), shapes, ontology)
    (d1,) = found["allocation/d1"]
    assert "FY2025" in d1 and "doc-a.txt gives 100 yen" in d1 and "doc-b.txt gives 120 yen" in d1


def test_no_disagreement_for_partial_amounts_or_within_one_document(ontology, shapes):
    results = validate(union_of(FIXTURES / "invalid.ttl"), shapes, ontology)
    focus = {f for _, f, _ in results}
    assert not focus & {"allocation/partial", "allocation/same-doc-1", "allocation/same-doc-2"}


def test_supplementary_rounds_are_not_compared_with_each_other(ontology, shapes):
    data = union_of(FIXTURES / "invalid.ttl")
    d1, d2 = URIRef(BASE + "allocation/d1"), URIRef(BASE + "allocation/d2")
    for allocation, n in ((d1, 1), (d2, 2)):
        data.set((allocation, STIKG.budgetStage, STIKG["stage-supplementary"]))
        data.add((allocation, STIKG.supplementaryRound, Literal(n)))
    assert not {r for r in validate(data, shapes, ontology) if r[2] == "BudgetAllocationAgreementShape"}


def test_disagreement_needs_advanced_mode(ontology, shapes):
    """The disagreement shape finds its focus nodes with a SHACL-AF SPARQL target (advanced=True)."""
    results = validate(union_of(FIXTURES / "invalid.ttl"), shapes, ontology, advanced=False)
    assert EXPECTED_INVALID - results == {
        ("Warning", "allocation/d1", "BudgetAllocationAgreementShape"),
        ("Warning", "allocation/d2", "BudgetAllocationAgreementShape"),
    }


def test_class_constraints_need_the_ontology_for_subclasses(shapes):
    """Without ont_graph a ministry is not known to be an organisation; with it, it is."""
    data = union_of(FIXTURES / "valid.trig")
    without = validate(data, shapes, None)
    assert ("Violation", "hub/utokyo-translational", "Hub-hostedBy") in without


@pytest.mark.parametrize("mutate, expected", [
    (lambda g, s: g.remove((s("program/translational-research"), RDFS.label, Literal("Translational Research Program", lang="en"))),
     {("Warning", "program/translational-research", "label-en")}),
    (lambda g, s: g.add((s("program/translational-research"), RDFS.label, Literal("橋渡し研究", lang="ja"))),
     {("Warning", "program/translational-research", "label-unique")}),
    (lambda g, s: g.add((s("program/translational-research"), STIKG.subProgramOf, s("program/translational-research-network"))),
     {("Warning", "program/translational-research", "Program-subProgramOf-single")}),
    (lambda g, s: g.set((s("evidence/001_ed80bdeb1e1ef2d9/line9"), STIKG.quote, Literal(""))),
     {("Violation", "evidence/001_ed80bdeb1e1ef2d9/line9", "Evidence-quote")}),
    (lambda g, s: g.set((s("allocation/a-001-fy2025-draft"), STIKG.amountYen, Literal("850億円"))),
     {("Violation", "allocation/a-001-fy2025-draft", "BudgetAllocation-amountYen")}),
    (lambda g, s: g.remove((s("allocation/a-001-fy2025-draft"), STIKG.isPartial, None)),
     {("Violation", "allocation/a-001-fy2025-draft", "BudgetAllocation-isPartial")}),
    (lambda g, s: g.set((s("flow/f-001-state-amed"), STIKG.toOrganization, s("organization/japan"))),
     {("Warning", "flow/f-001-state-amed", "FundingFlow-distinct-ends")}),
    (lambda g, s: g.set((s("flow/f-001-state-amed"), STIKG.fundingInstrument, STIKG["stage-fund"])),
     {("Violation", "flow/f-001-state-amed", "FundingFlow-fundingInstrument")}),
    (lambda g, s: g.set((s("period/p-001-tr"), STIKG.startFiscalYear, Literal(2030))),
     {("Warning", "period/p-001-tr", "ProgramPeriod-order")}),
    (lambda g, s: g.set((s("strategy/integrated-innovation-strategy-2024"), STIKG.decisionDate, Literal("2024年6月"))),
     {("Violation", "strategy/integrated-innovation-strategy-2024", "Strategy-decisionDate")}),
    (lambda g, s: g.add((s("organization/amed"), RDF.type, STIKG.University)),
     {("Violation", "organization/amed", "FundingAgencyShape")}),
    (lambda g, s: g.add((s("organization/mext-research-promotion-bureau"), RDF.type, STIKG.Ministry)),
     {("Violation", "organization/mext-research-promotion-bureau", "MinistryShape"),
      ("Info", "organization/mext-research-promotion-bureau", "Ministry-shortName")}),
    (lambda g, s: g.set((s("citation/c-001"), STIKG.citedStrategy, s("program/translational-research"))),
     {("Violation", "citation/c-001", "Citation-citedStrategy")}),
    (lambda g, s: g.add((s("program/life-science-rd"), URIRef("http://purl.org/spar/cito/citesAsAuthority"),
                         s("organization/amed"))),
     {("Violation", "program/life-science-rd", "Program-citesAsAuthority")}),
    (lambda g, s: g.set((s("document/000_06e5a7bc9af66719"), STIKG.fileName, Literal("sources/000.txt"))),
     {("Violation", "document/000_06e5a7bc9af66719", "SourceDocument-fileName")}),
    (lambda g, s: g.remove((s("hub/utokyo-translational"), STIKG.hostedBy, None)),
     {("Warning", "hub/utokyo-translational", "Hub-hostedBy-known")}),
], ids=lambda v: "" if callable(v) else "-".join(sorted(r[2] for r in v)))
def test_single_defects(ontology, shapes, mutate, expected):
    data = union_of(FIXTURES / "valid.trig")
    mutate(data, lambda path: URIRef(BASE + path))
    assert validate(data, shapes, ontology) == expected
