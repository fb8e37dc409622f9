"""Lineage records: what the lineage reads from the graph (SPARQL) and the programme budgets."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stikg.core.errors import StikgError
from stikg.rdf.vocab import STIKG_NS as STIKG

STAGES = ("request", "budget_draft", "budget", "supplementary", "fund", "other")
BUDGET_PREFERENCE = ("budget", "budget_draft", "request")
LIBRARY_QUERIES = ("program_citations", "program_organizations", "funding_flows", "hubs", "program_budget")
AGENCY_ROLES = ("implementer", "funding_agency", "bureau")
ORG_TYPES = (  # most specific first
    ("FundingAgency", "funding_agency"),
    ("Bureau", "bureau"),
    ("Ministry", "ministry"),
    ("GovernmentBody", "government"),
    ("Council", "council"),
    ("ResearchInstitute", "research_institute"),
    ("University", "university"),
    ("Company", "company"),
    ("Organization", "organization"),
)
EDGE_KINDS = ("cites", "next_edition", "successor", "subprogram", "role", "flow", "hub_of", "hosts")

_PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX stikg: <https://w3id.org/stikg/ontology#>
"""

ENTITIES_QUERY = _PREFIXES + """
SELECT DISTINCT ?entity ?kind ?class ?label_ja ?label_en ?alias ?edition_year ?decision_date ?strategy_type
WHERE {
  VALUES (?class ?kind) {
    (stikg:Strategy "strategy") (stikg:Program "program") (stikg:Hub "hub")
    (stikg:Organization "organization") (stikg:FundingAgency "organization") (stikg:Bureau "organization")
    (stikg:Ministry "organization") (stikg:GovernmentBody "organization") (stikg:Council "organization")
    (stikg:ResearchInstitute "organization") (stikg:University "organization") (stikg:Company "organization")
  }
  ?entity a ?class .
  OPTIONAL { ?entity rdfs:label ?label_ja FILTER(LANG(?label_ja) = "ja") }
  OPTIONAL { ?entity rdfs:label ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?entity skos:altLabel|stikg:shortName ?alias }
  OPTIONAL { ?entity stikg:editionYear ?edition_year }
  OPTIONAL { ?entity stikg:decisionDate ?decision_date }
  OPTIONAL { ?entity stikg:strategyType ?strategy_type }
}
"""

LINKS_QUERY = _PREFIXES + """
SELECT DISTINCT ?source ?link ?target
WHERE {
  { ?target stikg:previousEdition ?source BIND("next_edition" AS ?link) }
  UNION { ?source stikg:nextEdition ?target BIND("next_edition" AS ?link) }
  UNION { ?target stikg:predecessor ?source BIND("successor" AS ?link) }
  UNION { ?source stikg:successor ?target BIND("successor" AS ?link) }
  UNION { ?target stikg:subProgramOf ?source BIND("subprogram" AS ?link) }
  UNION { ?source stikg:hasSubProgram ?target BIND("subprogram" AS ?link) }
  UNION { ?target org:subOrganizationOf ?source BIND("suborganization" AS ?link) }
  UNION { ?source org:hasSubOrganization ?target BIND("suborganization" AS ?link) }
  FILTER(isIRI(?source) && isIRI(?target) && ?source != ?target)
}
"""

# The columns and answers of the contract query program_amounts.rq, with the triple patterns in
# an order pyoxigraph 0.5 evaluates ~100x faster (0.07 s instead of 5–8 s on the real kg/).
AMOUNTS_QUERY = _PREFIXES + """
SELECT ?program ?label_ja ?fiscal_year ?stage ?amount_yen ?partial ?doc ?line
WHERE {
  ?allocation a stikg:BudgetAllocation ;
      stikg:forProgram ?program ;
      stikg:budgetStage ?stage_concept ;
      stikg:isPartial ?partial ;
      stikg:hasEvidence ?evidence .
  ?stage_concept skos:notation ?stage .
  ?evidence stikg:line ?line ;
      stikg:sourceDocument ?document .
  ?document stikg:fileName ?doc .
  OPTIONAL { ?allocation stikg:fiscalYear ?fiscal_year }
  OPTIONAL { ?allocation stikg:amountYen ?amount_yen }
  OPTIONAL { ?program rdfs:label ?label_ja FILTER(lang(?label_ja) = "ja") }
}
"""

QUOTES_QUERY = _PREFIXES + """
SELECT DISTINCT ?doc ?line ?quote
WHERE {
  ?evidence a stikg:Evidence ;
      stikg:sourceDocument/stikg:fileName ?doc ;
      stikg:line ?line ;
      stikg:quote ?quote .
}
"""


class LineageError(StikgError):
    """The lineage cannot be built, or a name given to it matches nothing."""


# ------------------------------------------------------------------------------------ records


@dataclass
class Entity:
    """A strategy, program, organisation or hub with its labels and (for some kinds) its type."""

    iri: str
    kind: str
    label_ja: str = ""
    label_en: str = ""
    aliases: tuple[str, ...] = ()
    type: str = ""
    edition_year: int | None = None
    decision_date: str = ""

    @property
    def label(self) -> str:
        return self.label_ja or self.label_en or local_name(self.iri)

    @property
    def slug(self) -> str:
        return local_name(self.iri)


@dataclass(frozen=True, order=True)
class Amount:
    program: str
    fiscal_year: int | None
    stage: str
    amount_yen: int | None
    partial: bool
    doc: str
    line: int


@dataclass(frozen=True, order=True)
class BudgetRow:
    """A programme budget (one row of program_budget.rq; see stikg.rdf.budget_facts)."""

    program: str
    fiscal_year: int
    stage: str
    round: int | None
    amount_yen: int
    partial: bool
    selected: bool
    included_in: tuple[str, ...]
    doc: str
    line: int


@dataclass(frozen=True, order=True)
class CitationRow:
    program: str
    strategy: str
    doc: str
    line: int


@dataclass(frozen=True, order=True)
class RoleRow:
    program: str
    organization: str
    role: str
    doc: str
    line: int


@dataclass(frozen=True, order=True)
class FlowRow:
    program: str
    from_org: str
    to_org: str
    instrument: str
    doc: str
    line: int


@dataclass(frozen=True, order=True)
class HubRow:
    hub: str
    host: str | None
    program: str | None


@dataclass
class LineageData:
    """Everything the lineage needs, as plain records (deduplicated and sorted)."""

    entities: dict[str, Entity] = field(default_factory=dict)
    citations: list[CitationRow] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    budgets: list[BudgetRow] = field(default_factory=list)
    roles: list[RoleRow] = field(default_factory=list)
    flows: list[FlowRow] = field(default_factory=list)
    hubs: list[HubRow] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (source, kind, target)
    quotes: dict[tuple[str, int], str] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Entity]:
        return sorted((e for e in self.entities.values() if e.kind == kind), key=lambda e: (e.label, e.iri))

    def fiscal_years(self) -> list[int]:
        return sorted({a.fiscal_year for a in self.amounts if a.fiscal_year is not None})

    def latest_fiscal_year(self) -> int | None:
        """The latest fiscal year with a (non-partial) yen amount."""
        years = [a.fiscal_year for a in self.amounts
                 if a.fiscal_year is not None and a.amount_yen is not None and not a.partial]
        return max(years) if years else None

    def parents(self, link: str) -> dict[str, set[str]]:
        """child → parents for ``subprogram`` / ``suborganization`` (and predecessors for ``successor``)."""
        out: dict[str, set[str]] = defaultdict(set)
        for source, kind, target in self.links:
            if kind == link:
                out[target].add(source)
        return out


def local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def name_key(text: str) -> str:
    """Key for matching names: NFKC, case-folded, without spaces and 「」『』 brackets."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s「」『』\"'()（）]", "", text)


# ------------------------------------------------------------------------------------ fetching

Runner = Callable[[str], Any]  # SPARQL text → stikg.sparql.SelectResult


def library_texts(queries_dir: Path | None) -> dict[str, str]:
    """The texts of the contract queries the lineage uses (from ``queries/``)."""
    if queries_dir is None:
        from stikg.core.config import Paths, find_root

        queries_dir = Paths(find_root()).queries
    out = {}
    for name in LIBRARY_QUERIES:
        path = Path(queries_dir) / f"{name}.rq"
        try:
            out[name] = path.read_text(encoding="utf-8")
        except OSError:
            raise LineageError(f"the lineage needs the library query {name}.rq, which cannot be read", path) from None
    return out


def _rows(result: Any) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (ints for integer literals, bools for booleans)."""
    from stikg.sparql import XSD, SelectResult

    if not isinstance(result, SelectResult):
        raise LineageError("a lineage query did not answer with SELECT results")
    out = []
    for row in result.rows:
        item: dict[str, Any] = {}
        for name, term in zip(result.variables, row, strict=True):
            if term is None:
                continue
            value: Any = term.value
            if term.type == "literal" and term.datatype:
                kind = term.datatype[len(XSD):] if term.datatype.startswith(XSD) else ""
                if kind in ("integer", "int", "long", "decimal") and re.fullmatch(r"[+-]?\d+(\.0*)?", value):
                    value = int(value.split(".")[0])
                elif kind == "boolean":
                    value = value in ("true", "1")
            item[name] = value
        out.append(item)
    return out


def fetch(run: Runner, queries_dir: Path | None = None) -> LineageData:
    """Run the lineage queries with ``run`` (text → SelectResult) and collect the records."""
    texts = library_texts(queries_dir)
    data = LineageData()
    labels: dict[str, str] = {}

    def entity(iri: str, kind: str) -> Entity:
        found = data.entities.get(iri)
        if found is None:
            found = data.entities[iri] = Entity(iri, kind)
        return found

    aliases: dict[str, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    for row in _rows(run(ENTITIES_QUERY)):
        iri = row["entity"]
        ent = entity(iri, row["kind"])
        ent.kind = row["kind"] if ent.kind != "program" else ent.kind
        types[iri].add(row["class"])
        if row.get("label_ja") and (not ent.label_ja or row["label_ja"] < ent.label_ja):
            ent.label_ja = row["label_ja"]
        if row.get("label_en") and (not ent.label_en or row["label_en"] < ent.label_en):
            ent.label_en = row["label_en"]
        if row.get("alias"):
            aliases[iri].add(row["alias"])
        if isinstance(row.get("edition_year"), int):
            ent.edition_year = row["edition_year"]
        if row.get("decision_date"):
            ent.decision_date = str(row["decision_date"])
        if row.get("strategy_type"):
            ent.type = str(row["strategy_type"])
    for iri, ent in data.entities.items():
        ent.aliases = tuple(sorted(aliases.get(iri, ())))
        if ent.kind == "organization":
            ent.type = next((code for cls, code in ORG_TYPES if STIKG + cls in types[iri]), "organization")

    for row in _rows(run(texts["program_citations"])):
        labels.setdefault(row["program"], row.get("label_ja", ""))
        labels.setdefault(row["strategy"], row.get("strategy_label_ja", ""))
        entity(row["program"], "program")
        entity(row["strategy"], "strategy")
        data.citations.append(CitationRow(row["program"], row["strategy"], row["doc"], int(row["line"])))
    for row in _rows(run(AMOUNTS_QUERY)):
        labels.setdefault(row["program"], row.get("label_ja", ""))
        entity(row["program"], "program")
        yen = row.get("amount_yen")
        data.amounts.append(Amount(
            row["program"], row.get("fiscal_year") if isinstance(row.get("fiscal_year"), int) else None,
            str(row["stage"]), yen if isinstance(yen, int) else None, bool(row.get("partial")),
            row["doc"], int(row["line"]),
        ))
    for row in _rows(run(texts["program_budget"])):
        entity(row["program"], "program")
        # included_in is a GROUP_CONCAT, in no set order (it differs between stores): sorted here
        included_in = tuple(sorted(str(row.get("included_in") or "").split()))
        data.budgets.append(BudgetRow(
            row["program"], int(row["fiscal_year"]), str(row["stage"]),
            row["round"] if isinstance(row.get("round"), int) else None, int(row["amount_yen"]),
            bool(row.get("partial")), bool(row.get("selected")), included_in,
            row["doc"], int(row["line"]),
        ))
    for row in _rows(run(texts["program_organizations"])):
        labels.setdefault(row["program"], row.get("label_ja", ""))
        labels.setdefault(row["organization"], row.get("organization_label_ja", ""))
        entity(row["program"], "program")
        entity(row["organization"], "organization")
        data.roles.append(RoleRow(row["program"], row["organization"], str(row["role"]), row["doc"], int(row["line"])))
    for row in _rows(run(texts["funding_flows"])):
        labels.setdefault(row["program"], row.get("label_ja", ""))
        labels.setdefault(row["from_org"], row.get("from_label_ja", ""))
        labels.setdefault(row["to_org"], row.get("to_label_ja", ""))
        entity(row["program"], "program")
        entity(row["from_org"], "organization")
        entity(row["to_org"], "organization")
        data.flows.append(FlowRow(row["program"], row["from_org"], row["to_org"], str(row["instrument"]),
                                  row["doc"], int(row["line"])))
    for row in _rows(run(texts["hubs"])):
        entity(row["hub"], "hub")
        labels.setdefault(row["hub"], row.get("hub_label_ja", ""))
        if row.get("host"):
            entity(row["host"], "organization")
            labels.setdefault(row["host"], row.get("host_label_ja", ""))
        if row.get("program"):
            entity(row["program"], "program")
            labels.setdefault(row["program"], row.get("label_ja", ""))
        data.hubs.append(HubRow(row["hub"], row.get("host"), row.get("program")))
    for row in _rows(run(LINKS_QUERY)):
        data.links.append((row["source"], row["link"], row["target"]))
    for row in _rows(run(QUOTES_QUERY)):
        data.quotes[(row["doc"], int(row["line"]))] = row["quote"]

    for iri, label in labels.items():
        ent = data.entities[iri]
        if not ent.label_ja and label and not label.startswith("("):
            ent.label_ja = label
    return normalise(data)


def normalise(data: LineageData) -> LineageData:
    """Deduplicate and sort every record list (answers do not depend on row order)."""
    data.citations = sorted(set(data.citations))
    data.amounts = sorted(set(data.amounts), key=lambda a: (a.program, a.fiscal_year or 0, a.stage, a.amount_yen or 0,
                                                            a.partial, a.doc, a.line))
    data.budgets = sorted(set(data.budgets), key=lambda b: (b.program, b.fiscal_year, b.stage, b.round or 0, b.doc))
    data.roles = sorted(set(data.roles))
    data.flows = sorted(set(data.flows))
    data.hubs = sorted(set(data.hubs), key=lambda h: (h.hub, h.host or "", h.program or ""))
    data.links = sorted(set(data.links))
    data.entities = dict(sorted(data.entities.items()))
    return data


def fetch_embedded(paths: Any, dataset: Path | None = None) -> LineageData:
    """:func:`fetch` on the embedded store of ``paths`` (``var/store`` from ``kg/dataset.nq``)."""
    from stikg.sparql import embedded_backend

    backend = embedded_backend(paths, dataset)
    return fetch(lambda text: backend.run(text), paths.queries)


# ------------------------------------------------------------------------------------ amounts


def budget_rows(data: LineageData) -> list[BudgetRow]:
    """The programme budgets of ``data``: as read from the graph, or (for data built by hand,
    without them) derived from its amounts by the build's rule."""
    if data.budgets or not data.amounts:
        return data.budgets
    return budgets_of_amounts(data)


def budgets(data: LineageData) -> dict[str, dict[int, dict[str, int]]]:
    """program → fiscal year → stage → yen: the selected non-partial figure of each programme
    (stikg:isSelectedFigure; the rounds of a supplementary budget added up)."""
    out: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for b in budget_rows(data):
        if b.selected and not b.partial:
            stages = out[b.program][b.fiscal_year]
            stages[b.stage] = stages.get(b.stage, 0) + b.amount_yen
    return {p: {y: dict(s) for y, s in years.items()} for p, years in out.items()}


def default_stage(data: LineageData, fiscal_year: int | None) -> str | None:
    """The one stage a view of ``fiscal_year`` shows when none is given: the stage with figures for
    the most programmes that year (ties: budget, draft, request, …) — never a mix of stages."""
    programs: dict[str, set[str]] = defaultdict(set)
    for b in budget_rows(data):
        if b.fiscal_year == fiscal_year and b.selected and not b.partial:
            programs[b.stage].add(b.program)
    order = [*BUDGET_PREFERENCE, *(s for s in STAGES if s not in BUDGET_PREFERENCE)]
    ranked = sorted(programs, key=lambda s: (-len(programs[s]), order.index(s) if s in order else len(order), s))
    return ranked[0] if ranked else None


def pick_budget(by_stage: Mapping[str, int] | None, stage: str | None) -> int | None:
    """The yen of one fiscal year at ``stage`` (None when the programme has no figure there)."""
    if not by_stage or not stage:
        return None
    return by_stage.get(stage)




def budgets_of_amounts(data: LineageData) -> list[BudgetRow]:
    """The programme budgets of ``data.amounts`` by the build's rule (for data not read from a
    graph, such as :func:`synthetic_lineage`)."""
    from stikg.rdf.budget_facts import Figure, derive

    figures = [Figure((a.doc, a.line), a.program, a.fiscal_year, a.stage, None, a.doc, a.amount_yen, a.partial,
                      frozenset([(a.doc, a.line)]))
               for a in data.amounts if a.fiscal_year is not None and a.amount_yen is not None]
    return [BudgetRow(b.program, b.fiscal_year, b.stage, b.round, b.amount_yen, b.partial, b.selected,
                      b.included_in, b.document, min(line for _, line in b.evidence))
            for b in derive(figures, data.parents("subprogram"))]
