"""The policy-to-program lineage as a networkx graph, built from SPARQL results.

Sources (all run on the union of the named graphs):

* the contract queries of ``queries/``: ``program_citations``, ``program_organizations``,
  ``funding_flows`` and ``hubs``; ``program_amounts`` as :data:`AMOUNTS_QUERY` (same columns and
  answers, patterns reordered: the library text takes 5–8 s on pyoxigraph 0.5, this one 0.07 s);
* three queries of this module (not in the library, so the library's own tests and docs stay as
  they are): entities with their labels and types (:data:`ENTITIES_QUERY`), the links between
  entities — strategy editions, predecessors, sub-programs, sub-organisations (:data:`LINKS_QUERY`)
  — and the evidence quotes (:data:`QUOTES_QUERY`).

The graph reads left to right (every edge points that way):

====================  ==============================  =====================================
edge ``kind``         from → to                       meaning
====================  ==============================  =====================================
``cites``             strategy → program              the program cites the strategy
``next_edition``      strategy → strategy             previous edition → next edition
``successor``         program → program               predecessor → successor program
``subprogram``        program → program               parent → sub-program
``role``              program → organization          implementer, funding agency, bureau …
``flow``              organization → organization     money of a program (instrument)
``hub_of``            program → hub                   the hub belongs to the program
``hosts``             organization → hub              the organisation hosts the hub
====================  ==============================  =====================================

Amounts: a program's *budget* in a fiscal year is its non-partial (not の内数) yen amount of
the chosen stage; without a stage, the first stage present among ``budget``, ``budget_draft``,
``request``. When documents disagree on one (program, year, stage), the largest figure is used.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
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

Runner = Callable[[str], Any]  # SPARQL text → stikg.query.SelectResult


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
    from stikg.query import XSD, SelectResult

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
        data.budgets.append(BudgetRow(
            row["program"], int(row["fiscal_year"]), str(row["stage"]),
            row["round"] if isinstance(row.get("round"), int) else None, int(row["amount_yen"]),
            bool(row.get("partial")), bool(row.get("selected")), tuple(str(row.get("included_in") or "").split()),
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
    from stikg.query import embedded_backend

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


# --------------------------------------------------------------------------------------- graph


def build_graph(data: LineageData, fiscal_year: int | None = None, stage: str | None = None) -> Any:
    """The lineage as a ``networkx.MultiDiGraph`` (node and edge keys in sorted order).

    Node attributes: ``kind``, ``type``, ``label``, ``label_ja``, ``label_en``, ``column``, and
    for programs ``budget_yen`` (``fiscal_year`` / ``stage`` as given, default the latest year).
    Edge attributes: ``kind`` and, per kind, ``role``, ``program``, ``instrument``, ``weight``
    (the program's budget in yen, for amount-carrying edges), ``evidence`` (``doc:line`` list).
    """
    import networkx as nx

    year = fiscal_year if fiscal_year is not None else data.latest_fiscal_year()
    stage = stage or default_stage(data, year)
    money = budgets(data)

    def budget(program: str | None) -> int | None:
        if program is None or year is None:
            return None
        return pick_budget(money.get(program, {}).get(year), stage)

    g = nx.MultiDiGraph(fiscal_year=year or 0, stage=stage or "")
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}

    def edge(u: str, v: str, key: str, evidence: tuple[str, int] | None = None, **attrs: Any) -> None:
        item = edges.setdefault((u, v, key), {"kind": key.split(":", 1)[0], **attrs, "evidence": set()})
        if evidence:
            item["evidence"].add(evidence)

    for c in data.citations:
        edge(c.strategy, c.program, "cites", (c.doc, c.line))
    for r in data.roles:
        edge(r.program, r.organization, f"role:{r.role}", (r.doc, r.line), role=r.role, program=r.program)
    for f in data.flows:
        edge(f.from_org, f.to_org, f"flow:{f.program}:{f.instrument}", (f.doc, f.line),
             program=f.program, instrument=f.instrument)
    for h in data.hubs:
        if h.program:
            edge(h.program, h.hub, "hub_of", program=h.program)
        if h.host:
            edge(h.host, h.hub, "hosts")
    for source, kind, target in data.links:
        if kind in ("next_edition", "successor", "subprogram"):
            edge(source, target, kind)

    used = {n for u, v, _ in edges for n in (u, v)}
    for iri, ent in data.entities.items():
        if ent.kind == "program" or iri in used:
            attrs: dict[str, Any] = {"kind": ent.kind, "type": node_type(ent, data), "label": ent.label,
                                     "label_ja": ent.label_ja, "label_en": ent.label_en}
            if ent.kind == "program" and (b := budget(iri)) is not None:
                attrs["budget_yen"] = b
            if ent.edition_year is not None:
                attrs["edition_year"] = ent.edition_year
            g.add_node(iri, **attrs)
    for (u, v, key), attrs in sorted(edges.items()):
        if u not in g or v not in g:
            continue
        if attrs["kind"] == "cites":
            attrs["program"] = v
        if attrs.get("program") and (b := budget(attrs["program"])) is not None:
            attrs["weight"] = b
        attrs["evidence"] = sorted(attrs["evidence"])
        g.add_edge(u, v, key=key, **attrs)
    columns = assign_columns(g, data)
    for node, col in columns.items():
        g.nodes[node]["column"] = col
    return g


def node_type(ent: Entity, data: LineageData) -> str:
    """Colour class: strategy, program, subprogram, hub or the organisation's type."""
    if ent.kind == "program":
        return "subprogram" if ent.iri in _sub_programs(data) else "program"
    if ent.kind == "organization":
        return ent.type or "organization"
    return ent.kind


def _sub_programs(data: LineageData) -> set[str]:
    return {t for _, k, t in data.links if k == "subprogram"}


def assign_columns(g: Any, data: LineageData) -> dict[str, int]:
    """Left-to-right columns: strategies 0, programs 1 (+ sub-program depth), agencies, then hubs
    and recipients."""
    parents = data.parents("subprogram")

    def depth(node: str, seen: frozenset[str] = frozenset()) -> int:
        ups = [p for p in parents.get(node, ()) if p not in seen and p in g]
        return 0 if not ups else 1 + max(depth(p, seen | {node}) for p in ups)

    cols: dict[str, int] = {}
    program_depth = {n: min(depth(n), 3) for n, a in g.nodes(data=True) if a["kind"] == "program"}
    agency_col = 2 + max(program_depth.values(), default=0)
    agencies = {r.organization for r in data.roles if r.role in AGENCY_ROLES} | {f.from_org for f in data.flows}
    for node, attrs in g.nodes(data=True):
        kind = attrs["kind"]
        if kind == "strategy":
            cols[node] = 0
        elif kind == "program":
            cols[node] = 1 + program_depth[node]
        elif kind == "organization":
            agency = node in agencies or attrs["type"] in ("ministry", "bureau", "funding_agency", "government")
            cols[node] = agency_col if agency else agency_col + 1
        else:
            cols[node] = agency_col + 1
    return cols


# -------------------------------------------------------------------------------------- layout

COLUMN_WIDTH = 320.0  # the page uses the same (COLW in lineage.js)
NODE_GAP = 14.0


def node_sizes(g: Any) -> dict[str, float]:
    """Diameter in px: programs by budget (√ scale, 18–80), strategies 34, others 22."""
    top = max((a.get("budget_yen", 0) for _, a in g.nodes(data=True)), default=0)
    out = {}
    for n, a in g.nodes(data=True):
        if a["kind"] == "program":
            b = a.get("budget_yen")
            out[n] = 18.0 + (62.0 * math.sqrt(b / top) if b and top else 0.0)
        elif a["kind"] == "strategy":
            out[n] = 34.0
        else:
            out[n] = 22.0
    return out


def layered_layout(g: Any, sweeps: int = 6) -> dict[str, tuple[float, float]]:
    """Positions for a left-to-right layered drawing: x by column, y by barycentre ordering.

    Linear in the number of edges per sweep, so it scales to thousands of nodes (unlike a full
    Sugiyama layout in the browser). Strategy editions stay together (a series is ordered as one
    block, by edition year). Each node's rank in its column is kept as ``g.nodes[n]["order"]``.
    """
    cols: dict[int, list[str]] = defaultdict(list)
    for n, a in g.nodes(data=True):
        cols[a.get("column", 0)].append(n)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for u, v in g.edges():
        if g.nodes[u].get("column") != g.nodes[v].get("column"):
            neighbours[u].append(v)
            neighbours[v].append(u)
    series = _series(g)
    order: dict[str, float] = {}
    for c in sorted(cols):
        cols[c].sort(key=lambda n: (series.get(n, (n, 0))[0], series.get(n, (n, 0))[1], g.nodes[n]["label"], n))
        for i, n in enumerate(cols[c]):
            order[n] = float(i)
    keys = sorted(cols)
    for sweep in range(sweeps):
        seq = keys[1:] if sweep % 2 == 0 else list(reversed(keys[:-1]))
        for c in seq:
            bary: dict[str, float] = {}
            for n in cols[c]:
                nbrs = [order[m] for m in neighbours.get(n, ())]
                bary[n] = sum(nbrs) / len(nbrs) if nbrs else order[n]
            if c == 0:  # keep each strategy series together, by edition year
                block: dict[str, list[float]] = defaultdict(list)
                for n in cols[c]:
                    block[series.get(n, (n, 0))[0]].append(bary[n])
                cols[c].sort(key=lambda n: (sum(block[series.get(n, (n, 0))[0]]) / len(block[series.get(n, (n, 0))[0]]),
                                            series.get(n, (n, 0))[0], series.get(n, (n, 0))[1], n))
            else:
                cols[c].sort(key=lambda n: (bary[n], n))
            for i, n in enumerate(cols[c]):
                order[n] = float(i)
    for n, rank in order.items():
        g.nodes[n]["order"] = int(rank)
    sizes = node_sizes(g)
    return stack_columns([(c, [(n, sizes[n]) for n in cols[c]]) for c in sorted(cols)])


def stack_columns(columns: list[tuple[int, list[tuple[str, float]]]]) -> dict[str, tuple[float, float]]:
    """Place ordered columns of (node, size) left to right; a column taller than the drawing's
    target height wraps into several sub-columns (so 3,000 programs do not make a thin line).
    The page does the same for filtered views (``compactLayout`` in lineage.js)."""
    total = sum(size + NODE_GAP for _, nodes in columns for _, size in nodes)
    limit = max(1500.0, math.sqrt(total * COLUMN_WIDTH * 0.6))
    pos: dict[str, tuple[float, float]] = {}
    blocks = []
    for _, nodes in columns:
        parts: list[list[tuple[str, float]]] = [[]]
        height = 0.0
        for n, size in nodes:
            if parts[-1] and height + size + NODE_GAP > limit:
                parts.append([])
                height = 0.0
            parts[-1].append((n, size))
            height += size + NODE_GAP
        blocks.extend(parts)
    heights = [sum(size + NODE_GAP for _, size in part) for part in blocks]
    tallest = max(heights, default=0.0)
    for i, part in enumerate(blocks):
        y = (tallest - heights[i]) / 2
        for n, size in part:
            y += size / 2
            pos[n] = (round(i * COLUMN_WIDTH, 1), round(y, 1))
            y += size / 2 + NODE_GAP
    return pos


def _series(g: Any) -> dict[str, tuple[str, int]]:
    """strategy → (series key = first edition's IRI, edition year) along next_edition edges."""
    import networkx as nx

    chain = nx.Graph()
    for u, v, k in g.edges(keys=True):
        if k == "next_edition":
            chain.add_edge(u, v)
    out = {}
    for comp in nx.connected_components(chain):
        first = min(comp, key=lambda n: (g.nodes[n].get("edition_year") or 0, n))
        for n in comp:
            out[n] = (first, g.nodes[n].get("edition_year") or 0)
    return out


# ------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """The page's filters; names are resolved to IRIs by :func:`resolve_filters`."""

    strategy: str | None = None
    fiscal_year: int | None = None
    agency: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class Resolved:
    strategies: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    fiscal_year: int | None = None
    stage: str | None = None
    errors: tuple[str, ...] = ()


def _matches(entities: Iterable[Entity], name: str) -> list[str]:
    """IRIs matching ``name``: IRI, id (``wpi`` or ``program/wpi``), label or alias exactly; else
    every label containing it."""
    name = name.strip()
    ents = list(entities)
    exact = [e.iri for e in ents if name in (e.iri, e.slug, f"{e.kind}/{e.slug}")]
    if exact:
        return exact
    key = name_key(name)
    if not key:
        return []
    exact = [e.iri for e in ents if key in {name_key(x) for x in (e.label_ja, e.label_en, *e.aliases) if x}]
    if exact:
        return sorted(exact)
    return sorted(e.iri for e in ents
                  if any(key in name_key(x) for x in (e.label_ja, e.label_en, *e.aliases) if x))


def known(entities: Iterable[Entity], limit: int = 12) -> str:
    labels = sorted({e.label for e in entities}, key=lambda label: (label.startswith("("), label))
    more = f" … ({len(labels) - limit} more)" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def agencies(data: LineageData) -> list[Entity]:
    """Organisations that run, fund or manage a program, or pass its money on."""
    iris = {r.organization for r in data.roles if r.role in AGENCY_ROLES} | {f.from_org for f in data.flows}
    return sorted((data.entities[i] for i in iris if i in data.entities), key=lambda e: (e.label, e.iri))


def resolve_filters(data: LineageData, filters: Filters) -> Resolved:
    """Names → IRIs; ``errors`` says what matched nothing (with the known names)."""
    errors = []
    strategies: list[str] = []
    if filters.strategy:
        strategies = _matches(data.of_kind("strategy"), filters.strategy)
        if not strategies:
            errors.append(f"no strategy matches {filters.strategy!r}; known strategies: "
                          f"{known(e for e in data.of_kind('strategy') if any(c.strategy == e.iri for c in data.citations))}")
    orgs: list[str] = []
    if filters.agency:
        orgs = _matches(data.of_kind("organization"), filters.agency)
        if not orgs:
            errors.append(f"no agency matches {filters.agency!r}; known agencies: {known(agencies(data))}")
    if filters.stage and filters.stage not in STAGES:
        errors.append(f"no budget stage {filters.stage!r}; stages: {', '.join(STAGES)}")
    if filters.fiscal_year is not None and filters.fiscal_year not in data.fiscal_years():
        years = data.fiscal_years()
        errors.append(f"no amounts for fiscal year {filters.fiscal_year}; fiscal years: "
                      f"{', '.join(map(str, years)) or 'none'}")
    return Resolved(tuple(strategies), tuple(orgs), filters.fiscal_year, filters.stage, tuple(errors))


def program_facets(data: LineageData) -> dict[str, dict[str, Any]]:
    """Per program: cited strategies, organisations (with their parent organisations), and the
    (fiscal year, stage) pairs it has amounts for — what the filters test (also in the page)."""
    org_parents = data.parents("suborganization")

    def with_ancestors(org: str) -> set[str]:
        out, todo = {org}, [org]
        while todo:
            for p in org_parents.get(todo.pop(), ()):
                if p not in out:
                    out.add(p)
                    todo.append(p)
        return out

    facets: dict[str, dict[str, Any]] = {
        e.iri: {"strategies": set(), "orgs": set(), "periods": set()} for e in data.of_kind("program")
    }
    for c in data.citations:
        facets[c.program]["strategies"].add(c.strategy)
    for r in data.roles:
        facets[r.program]["orgs"] |= with_ancestors(r.organization)
    for f in data.flows:
        facets[f.program]["orgs"] |= with_ancestors(f.from_org) | with_ancestors(f.to_org)
    for a in data.amounts:
        if a.fiscal_year is not None:
            facets[a.program]["periods"].add((a.fiscal_year, a.stage))
    return facets


def visible_programs(data: LineageData, resolved: Resolved) -> set[str]:
    """The programs the filters leave (all programs when no filter is set)."""
    out = set()
    for program, f in program_facets(data).items():
        if resolved.strategies and not f["strategies"] & set(resolved.strategies):
            continue
        if resolved.agencies and not f["orgs"] & set(resolved.agencies):
            continue
        if resolved.fiscal_year is not None or resolved.stage:
            if not any((resolved.fiscal_year is None or y == resolved.fiscal_year)
                       and (not resolved.stage or s == resolved.stage) for y, s in f["periods"]):
                continue
        out.add(program)
    return out


def is_filtered(resolved: Resolved) -> bool:
    return bool(resolved.strategies or resolved.agencies or resolved.fiscal_year is not None or resolved.stage)


def visible_nodes(g: Any, data: LineageData, resolved: Resolved) -> set[str]:
    """Nodes shown for the filters: the programs, the selected strategies (or those the programs
    cite), and the organisations and hubs attached to the programs."""
    if not is_filtered(resolved):
        return set(g.nodes)
    programs = visible_programs(data, resolved) & set(g.nodes)
    nodes = set(programs)
    for u, v, a in g.edges(data=True):
        kind = a["kind"]
        if kind == "cites" and v in programs and (not resolved.strategies or u in resolved.strategies):
            nodes.add(u)
        elif kind in ("role", "hub_of") and u in programs:
            nodes.add(v)
        elif kind == "flow" and a.get("program") in programs:
            nodes.update((u, v))
    for u, v, k in g.edges(keys=True):
        if k == "hosts" and v in nodes:
            nodes.add(u)
    return nodes


# ------------------------------------------------------------------------------------ analysis


def strategy_ranking(data: LineageData, fiscal_year: int | None = None, stage: str | None = None) -> list[dict[str, Any]]:
    """Strategies ranked by the yen (then the number) of the programs that cite them.

    ``yen`` is the total of :func:`stikg.rdf.budget_facts.totals` for ``fiscal_year`` (default: the
    latest) and ``stage`` (default: :func:`default_stage`): each citing programme once, with its
    selected figure, a sub-programme's yen left out when an ancestor whose budget includes it
    cites the same strategy, の内数 never added — the rule of ``strategy_request_totals``.
    """
    from stikg.rdf.budget_facts import totals

    year = fiscal_year if fiscal_year is not None else data.latest_fiscal_year()
    stage = stage or default_stage(data, year)
    citing: dict[str, set[str]] = defaultdict(set)
    docs: dict[str, set[str]] = defaultdict(set)
    for c in data.citations:
        citing[c.strategy].add(c.program)
        docs[c.strategy].add(c.doc)
    sums = totals(budget_rows(data), citing, year, stage) if year is not None and stage else {}
    rows = []
    for strategy, programs in citing.items():
        ent = data.entities[strategy]
        total = sums.get(strategy, {})
        rows.append({"strategy": strategy, "label": ent.label, "label_en": ent.label_en,
                     "edition_year": ent.edition_year, "programs": len(programs),
                     "funded_programs": total.get("programs", 0), "yen": total.get("total_yen", 0),
                     "partial_programs": total.get("partial_programs", 0), "documents": len(docs[strategy]),
                     "fiscal_year": year, "stage": stage})
    rows.sort(key=lambda r: (-r["yen"], -r["programs"], r["label"], r["strategy"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def resolve_program(data: LineageData, name: str) -> str:
    """The one program ``name`` designates (IRI, id, label, short name, or a unique part of a label)."""
    found = _matches(data.of_kind("program"), name)
    if not found:
        raise LineageError(f"no program matches {name!r}; give its id, IRI, label or short name "
                           f"(e.g. {known(data.of_kind('program'), 5)})")
    if len(found) > 1:
        labels = ", ".join(f"{data.entities[i].label} ({data.entities[i].slug})" for i in found[:8])
        raise LineageError(f"{name!r} matches {len(found)} programs: {labels}; give one of their ids")
    return found[0]


@dataclass(frozen=True)
class Step:
    """One hop of a lineage path, read from the program back towards a strategy."""

    relation: str  # "subprogram of", "successor of", "cites"
    node: str
    evidence: tuple[tuple[str, int], ...] = ()


def lineage_paths(data: LineageData, program: str) -> list[list[Step]]:
    """Every simple path from ``program`` back to a strategy it rests on: directly, or through its
    parent programs and its predecessors (any depth). Shortest paths first."""
    parents = data.parents("subprogram")
    predecessors = data.parents("successor")
    cites: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for c in data.citations:
        cites[c.program][c.strategy].append((c.doc, c.line))
    paths: list[list[Step]] = []

    def walk(node: str, path: list[Step], seen: set[str]) -> None:
        for strategy, ev in sorted(cites.get(node, {}).items()):
            paths.append([*path, Step("cites", strategy, tuple(sorted(ev)))])
        for relation, ups in (("subprogram of", parents), ("successor of", predecessors)):
            for up in sorted(ups.get(node, ())):
                if up not in seen:
                    walk(up, [*path, Step(relation, up)], seen | {up})

    walk(program, [], {program})
    paths.sort(key=lambda p: (len(p), [s.node for s in p]))
    return paths


# -------------------------------------------------------------------------------------- export


def export_network(paths: Any, fmt: str) -> str:
    """The lineage graph as GraphML or GEXF text for Gephi (deterministic for the same data).

    Weights and ``budget_yen`` are the latest fiscal year's budgets (as doubles: GraphML ``int``
    is 32-bit); evidence lists become ``doc:line`` strings separated by spaces.
    """
    return network_text(build_graph(fetch_embedded(paths)), fmt)


def network_text(g: Any, fmt: str) -> str:
    import networkx as nx

    flat = nx.MultiDiGraph()
    flat.graph.update({"fiscal_year": int(g.graph.get("fiscal_year") or 0), "stage": g.graph.get("stage") or ""})
    for n, a in g.nodes(data=True):
        attrs = {k: _scalar(k, v) for k, v in sorted(a.items()) if v not in (None, "")}
        flat.add_node(n, **attrs)
    for u, v, k, a in g.edges(keys=True, data=True):
        attrs = {key: _scalar(key, val) for key, val in sorted(a.items()) if val not in (None, "", [])}
        flat.add_edge(u, v, key=k, **attrs)
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(flat, prettyprint=True)) + "\n"
    if fmt == "gexf":
        text = "\n".join(nx.generate_gexf(flat, prettyprint=True)) + "\n"
        return re.sub(r' lastmodifieddate="[^"]*"', "", text)
    raise LineageError(f"unknown network format {fmt!r} (graphml or gexf)")


def _scalar(name: str, value: Any) -> Any:
    if name in ("budget_yen", "weight"):
        return float(value)
    if isinstance(value, list | tuple):
        return " ".join(f"{d}:{line}" if isinstance(d, str) else str(d) for d, line in value)
    return value


# ----------------------------------------------------------------------------------- synthetic


def synthetic_lineage(nodes: int = 5000, seed: int = 7, base: str | None = None) -> LineageData:
    """A made-up lineage of about ``nodes`` nodes (4 % strategies in edition series, 60 % programs
    with sub-programs and predecessors, 28 % organisations, 8 % hubs) for benchmarks and tests."""
    import random

    from stikg.core.config import base_iri

    base = base or base_iri()
    rnd = random.Random(seed)
    data = LineageData()
    n_str, n_prog, n_org = max(2, nodes * 4 // 100), max(2, nodes * 60 // 100), max(4, nodes * 28 // 100)
    n_hub = max(1, nodes - n_str - n_prog - n_org)
    strategies = [f"{base}strategy/s{i}" for i in range(n_str)]
    programs = [f"{base}program/p{i}" for i in range(n_prog)]
    orgs = [f"{base}organization/o{i}" for i in range(n_org)]
    hubs = [f"{base}hub/h{i}" for i in range(n_hub)]
    org_types = ["funding_agency", "bureau", "ministry", "research_institute", "university", "university", "company"]
    for i, s in enumerate(strategies):
        data.entities[s] = Entity(s, "strategy", f"戦略{i // 5}-{2020 + i % 5}", f"Strategy {i // 5} ({2020 + i % 5})",
                                  (), "strategy", 2020 + i % 5)
        if i % 5:
            data.links.append((strategies[i - 1], "next_edition", s))
    for i, p in enumerate(programs):
        data.entities[p] = Entity(p, "program", f"事業{i}", f"Program {i}")
    for i, o in enumerate(orgs):
        data.entities[o] = Entity(o, "organization", f"機関{i}", f"Organisation {i}", (), org_types[i % len(org_types)])
    for i, h in enumerate(hubs):
        data.entities[h] = Entity(h, "hub", f"拠点{i}", f"Hub {i}")
    agencies_ = orgs[: max(2, n_org // 10)]
    recipients = orgs[len(agencies_):] or orgs
    doc = "000_synthetic.txt"
    line = 0
    for i, p in enumerate(programs):
        line += 1
        if i % 7 == 3 and i > 10:
            data.links.append((programs[rnd.randrange(i)], "subprogram", p))
        if i % 11 == 5 and i > 10:
            data.links.append((programs[rnd.randrange(i)], "successor", p))
        for s in rnd.sample(strategies, k=min(len(strategies), rnd.choice((1, 1, 2)))):
            data.citations.append(CitationRow(p, s, doc, line))
        data.roles.append(RoleRow(p, agencies_[i % len(agencies_)], rnd.choice(AGENCY_ROLES), doc, line))
        data.roles.append(RoleRow(p, recipients[i % len(recipients)], rnd.choice(("recipient", "partner", "host")),
                                  doc, line))
        yen = rnd.randrange(1, 2000) * 10**8
        for year, stage in ((2023, "budget"), (2024, "budget"), (2025, "request")):
            data.amounts.append(Amount(p, year, stage, yen + rnd.randrange(0, 50) * 10**7, False, doc, line))
        if i % 3 == 0:
            data.flows.append(FlowRow(p, rnd.choice(agencies_), rnd.choice(recipients), "委託", doc, line))
        data.quotes[(doc, line)] = f"事業{i}（令和7年度要求額 {yen // 10**8}億円）"
    for h in hubs:
        data.hubs.append(HubRow(h, rnd.choice(recipients), rnd.choice(programs)))
    data.budgets = budgets_of_amounts(data)
    return normalise(data)


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
