"""What the search, the list pages and the page summaries know: one read of the store per server.

:func:`snapshot_for` gives the :class:`Snapshot` of an :class:`~stikg.web.sparql_app.App`, built
on first use by a handful of SELECT queries run through the app's
:class:`~stikg.web.workers.WorkerPool` (the data ``/sparql`` sees) and kept for the life of the
server. It holds the entities people look for (programmes, strategies, organisations, hubs,
documents) with their labels and aliases, the facts the pages summarise (programme budgets as
the numbers issue defines them, citations, roles, flows) and a readable label for every fact
and evidence IRI, so no page shows a hashed ``citation:59a60ec…``.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stikg.core.config import base_iri
from stikg.rdf.budget_facts import totals
from stikg.sparql import SelectResult, Term
from stikg.web.workers import Job

KINDS = ("program", "strategy", "organization", "hub", "document")
STIKG = "https://w3id.org/stikg/ontology#"
PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX stikg: <https://w3id.org/stikg/ontology#>
"""
ROLE_NAMES = {
    "funding_agency": "資金配分 funds", "implementer": "実施 runs", "bureau": "担当課 manages",
    "host": "拠点 hosts", "recipient": "交付先 receives", "partner": "連携 partner",
}
STAGE_SHORT = {"request": "要求 request", "budget_draft": "予算案 draft", "budget": "予算 enacted",
               "supplementary": "補正 supplementary", "fund": "基金 fund", "other": "その他 other"}
MAX_ROWS = 5_000_000

NAMES = PREFIXES + """SELECT ?s ?p ?o WHERE {
  VALUES ?type { stikg:Program stikg:Strategy stikg:PolicyBasis stikg:Organization stikg:Hub stikg:SourceDocument }
  VALUES ?p { rdfs:label skos:prefLabel skos:altLabel stikg:shortName schema:alternateName dcterms:title }
  ?s a ?type ; ?p ?o . FILTER(isLiteral(?o))
}"""
TYPES = PREFIXES + """SELECT DISTINCT ?s ?type WHERE {
  VALUES ?kind { stikg:Program stikg:Strategy stikg:PolicyBasis stikg:Organization stikg:Hub stikg:SourceDocument }
  ?s a ?kind ; a ?type . FILTER(STRSTARTS(STR(?type), STR(stikg:)))
}"""
LINKS = PREFIXES + """SELECT ?s ?p ?o WHERE {
  VALUES ?p { stikg:subProgramOf stikg:predecessor stikg:successor stikg:hostedBy stikg:hubOfProgram
              org:subOrganizationOf stikg:previousEdition stikg:nextEdition stikg:decidedBy dcterms:publisher
              stikg:fundedBy stikg:implementedBy stikg:managedBy }
  ?s ?p ?o . FILTER(isIRI(?o))
}"""
ATTRS = PREFIXES + """SELECT ?s ?p ?o WHERE {
  VALUES ?p { stikg:decisionDate stikg:editionYear stikg:strategyType dcterms:issued stikg:fileName
              schema:url stikg:issuerText }
  ?s ?p ?o .
} """
DOC_ATTRS = PREFIXES + """SELECT ?d ?fy ?kind WHERE {
  ?d a stikg:SourceDocument . OPTIONAL { ?d stikg:fiscalYear ?fy }
  OPTIONAL { ?d stikg:documentKind/skos:notation ?kind }
}"""
BUDGETS = PREFIXES + """SELECT ?budget ?program ?fy ?stage ?round ?amount ?partial ?selected ?document
       (MIN(?line) AS ?first) (GROUP_CONCAT(DISTINCT STR(?ancestor); separator=" ") AS ?included)
WHERE {
  ?budget a stikg:ProgramBudget ; stikg:forProgram ?program ; stikg:fiscalYear ?fy ;
      stikg:budgetStage/skos:notation ?stage ; stikg:amountYen ?amount ; stikg:isPartial ?partial ;
      stikg:isSelectedFigure ?selected ; stikg:reportedIn ?document .
  OPTIONAL { ?budget stikg:supplementaryRound ?round }
  OPTIONAL { ?budget stikg:hasEvidence/stikg:line ?line }
  OPTIONAL { ?budget stikg:includedInBudgetOf ?ancestor }
}
GROUP BY ?budget ?program ?fy ?stage ?round ?amount ?partial ?selected ?document"""
FACTS = PREFIXES + """SELECT ?fact ?type ?program ?a ?b ?c ?fy ?stage ?amount WHERE {
  VALUES ?type { stikg:BudgetAllocation stikg:Citation stikg:OrganizationRole stikg:FundingFlow stikg:ProgramPeriod }
  ?fact a ?type ; stikg:forProgram ?program .
  OPTIONAL { ?fact stikg:citedBasis ?a . OPTIONAL { ?fact stikg:citedStrategy ?c } }
  OPTIONAL { ?fact stikg:organization ?a ; stikg:role/skos:notation ?b }
  OPTIONAL { ?fact stikg:fromOrganization ?a ; stikg:toOrganization ?c .
             OPTIONAL { ?fact stikg:fundingInstrument/skos:prefLabel ?b FILTER(LANG(?b) = "ja") } }
  OPTIONAL { ?fact stikg:fiscalYear ?fy }
  OPTIONAL { ?fact stikg:budgetStage/skos:notation ?stage }
  OPTIONAL { ?fact stikg:amountYen ?amount }
  OPTIONAL { ?fact stikg:startFiscalYear ?a }
  OPTIONAL { ?fact stikg:endFiscalYear ?c }
}"""
EVIDENCE = PREFIXES + """SELECT ?fact ?ev ?doc ?line WHERE {
  ?fact stikg:hasEvidence ?ev . ?ev stikg:sourceDocument ?doc ; stikg:line ?line .
}"""


@dataclass
class Entity:
    """A programme, strategy, organisation, hub or document: its names and what lists show."""

    iri: str
    kind: str
    slug: str
    label_ja: str = ""
    label_en: str = ""
    aliases: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return self.label_ja or self.label_en or self.slug

    @property
    def path(self) -> str:
        return f"/{self.kind}/{self.slug}.html"


@dataclass(frozen=True)
class Budget:
    """One ``stikg:ProgramBudget`` (the deduplicated figure of a document; see budget_facts)."""

    iri: str
    program: str
    fiscal_year: int
    stage: str
    round: int | None
    amount_yen: int
    partial: bool
    selected: bool
    included_in: tuple[str, ...]
    document: str
    line: int | None


@dataclass(frozen=True)
class Fact:
    """A citation, role, flow, allocation or period of a programme, with its evidence."""

    iri: str
    type: str
    program: str
    a: str = ""  # cited basis | organisation | from organisation | start FY
    b: str = ""  # role code | instrument
    c: str = ""  # cited strategy | to organisation | end FY
    fiscal_year: int | None = None
    stage: str = ""
    amount_yen: int | None = None


@dataclass
class Snapshot:
    """Entities, budgets and facts of the store, indexed for the pages (see the module docstring)."""

    entities: dict[str, Entity] = field(default_factory=dict)
    budgets: list[Budget] = field(default_factory=list)
    facts: dict[str, Fact] = field(default_factory=dict)
    evidence: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # fact → (ev, doc, line)
    links: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # s → p → {o}
    inverse: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # o → p → {s}
    attrs: dict[str, dict[str, list[Term]]] = field(default_factory=dict)
    doc_year: dict[str, int] = field(default_factory=dict)
    doc_kind: dict[str, str] = field(default_factory=dict)
    by_program: dict[str, list[Fact]] = field(default_factory=dict)
    budgets_of: dict[str, list[Budget]] = field(default_factory=dict)
    fact_labels: dict[str, str] = field(default_factory=dict)
    facts_in: dict[str, list[str]] = field(default_factory=dict)  # document → facts with evidence there
    names: dict[str, str] = field(default_factory=dict)  # every IRI above → a readable label

    # -- building

    def index(self) -> None:
        """Derive the lookup tables (facts by programme, labels of facts and evidence)."""
        by_program: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.facts.values():
            by_program[fact.program].append(fact)
        self.by_program = {k: sorted(v, key=lambda f: f.iri) for k, v in by_program.items()}
        budgets_of: dict[str, list[Budget]] = defaultdict(list)
        for b in self.budgets:
            budgets_of[b.program].append(b)
        self.budgets_of = dict(budgets_of)
        labels: dict[str, str] = {}
        for fact in self.facts.values():
            labels[fact.iri] = self.describe_fact(fact)
        for b in self.budgets:
            labels[b.iri] = (f"予算 budget: {self.label(b.program)} FY{b.fiscal_year} "
                             f"{STAGE_SHORT.get(b.stage, b.stage)} {b.amount_yen:,}円" + (" (の内数)" if b.partial else ""))
        facts_in: dict[str, set[str]] = defaultdict(set)
        for fact_iri, items in self.evidence.items():
            for ev, doc, line in items:
                labels.setdefault(ev, f"根拠 evidence: {self.label(doc)} L{line}")
                facts_in[doc].add(fact_iri)
        self.fact_labels = labels
        self.names = {**labels, **{iri: e.label for iri, e in self.entities.items()}}
        self.facts_in = {k: sorted(v) for k, v in facts_in.items()}

    def describe_fact(self, fact: Fact) -> str:
        program = self.label(fact.program)
        kind = fact.type.rsplit("#", 1)[-1]
        if kind == "Citation":
            return f"引用 citation: {program} → {self.label(fact.c or fact.a)}"
        if kind == "OrganizationRole":
            return f"役割 role: {self.label(fact.a)} — {ROLE_NAMES.get(fact.b, fact.b)} — {program}"
        if kind == "FundingFlow":
            return f"資金の流れ flow: {self.label(fact.a)} → {self.label(fact.c)} ({fact.b or 'other'}) — {program}"
        if kind == "BudgetAllocation":
            amount = f" {fact.amount_yen:,}円" if fact.amount_yen is not None else ""
            return f"金額 amount: {program} FY{fact.fiscal_year} {STAGE_SHORT.get(fact.stage, fact.stage)}{amount}"
        if kind == "ProgramPeriod":
            return f"期間 period: {program} FY{fact.a or '?'}–{fact.c or '?'}"
        return f"{kind}: {program}"

    # -- reading

    def label(self, iri: str) -> str:
        entity = self.entities.get(iri)
        if entity is not None:
            return entity.label
        if iri in self.fact_labels:
            return self.fact_labels[iri]
        return iri.rsplit("/", 1)[-1]

    def of_kind(self, kind: str) -> list[Entity]:
        return [e for e in self.entities.values() if e.kind == kind]

    def objects(self, subject: str, predicate: str) -> list[str]:
        return sorted(self.links.get(subject, {}).get(STIKG_OR(predicate), ()))

    def subjects(self, predicate: str, obj: str) -> list[str]:
        return sorted(self.inverse.get(obj, {}).get(STIKG_OR(predicate), ()))

    def attr(self, subject: str, predicate: str) -> list[Term]:
        return self.attrs.get(subject, {}).get(STIKG_OR(predicate), [])

    def attr_text(self, subject: str, predicate: str) -> str:
        values = self.attr(subject, predicate)
        return values[0].value if values else ""

    def evidence_of(self, fact: str) -> list[tuple[str, str, int]]:
        return self.evidence.get(fact, [])

    def citing(self, basis: str) -> list[str]:
        """Programmes citing ``basis`` (each once, whatever the properties that say so)."""
        return sorted({f.program for f in self.facts.values()
                       if f.type == STIKG + "Citation" and basis in (f.a, f.c)})

    def strategy_members(self, strategy: str) -> list[str]:
        """Programmes citing ``strategy`` as a strategy (cito:citesAsAuthority: what totals count)."""
        return sorted({f.program for f in self.facts.values() if f.type == STIKG + "Citation" and f.c == strategy})

    def selected(self, program: str) -> list[Budget]:
        return [b for b in self.budgets_of.get(program, ()) if b.selected]

    def totals(self, programs: Iterable[str], fiscal_year: int, stage: str) -> dict[str, object]:
        """The deduplicated total of ``programs`` (stikg.rdf.budget_facts.totals; supplementary rounds add up)."""
        return totals(self.budgets, {"group": list(programs)}, fiscal_year, stage)["group"]

    def series(self, strategy: str) -> list[str]:
        """Every edition of ``strategy``'s series (previousEdition/nextEdition both ways), oldest first."""
        seen = {strategy}
        todo = [strategy]
        while todo:
            s = todo.pop()
            for p in ("previousEdition", "nextEdition"):
                for o in self.objects(s, p) + self.subjects(p, s):
                    if o not in seen:
                        seen.add(o)
                        todo.append(o)

        def key(s: str) -> tuple[str, str]:
            return (self.attr_text(s, "editionYear") or self.attr_text(s, "decisionDate"), s)

        return sorted(seen, key=key)


def STIKG_OR(name: str) -> str:  # noqa: N802 - reads as a namespace
    """A full predicate IRI for ``name`` (``decidedBy`` → stikg:decidedBy); full IRIs pass through."""
    return name if ":" in name else STIKG + name


def _v(term: Term | None) -> str:
    return term.value if term is not None else ""


def _int(term: Term | None) -> int | None:
    try:
        return int(term.value) if term is not None else None
    except ValueError:
        return None


def build(run: Any) -> Snapshot:
    """A :class:`Snapshot` from ``run(text) -> SelectResult`` (the server's worker pool)."""
    base = base_iri()
    snap = Snapshot()

    def rows(text: str) -> list[tuple[Term | None, ...]]:
        result = run(text)
        return result.rows if isinstance(result, SelectResult) else []

    for s, p, o in rows(NAMES):
        if s is None or p is None or o is None or not s.value.startswith(base):
            continue
        kind, _, slug = s.value[len(base):].partition("/")
        if kind not in KINDS or not slug:
            continue
        entity = snap.entities.get(s.value)
        if entity is None:
            entity = snap.entities[s.value] = Entity(s.value, kind, slug)
        name = o.value.strip()
        if not name:
            continue
        if p.value.endswith(("#label", "#prefLabel", "/title")) and o.lang in ("ja", "en"):
            attr = "label_ja" if o.lang == "ja" else "label_en"
            current = getattr(entity, attr)
            if not current or (p.value.endswith("#prefLabel") and current != name):
                if current and current not in entity.aliases:
                    entity.aliases.append(current)
                setattr(entity, attr, name)
            elif name != current and name not in entity.aliases:
                entity.aliases.append(name)
        elif name not in entity.aliases:
            entity.aliases.append(name)
    for entity in snap.entities.values():
        entity.aliases = sorted(a for a in entity.aliases if a not in (entity.label_ja, entity.label_en))
    for s, t in rows(TYPES):
        if s is not None and t is not None and s.value in snap.entities:
            snap.entities[s.value].types.add(t.value.rsplit("#", 1)[-1])
    for s, p, o in rows(LINKS):
        if s is None or p is None or o is None:
            continue
        snap.links.setdefault(s.value, {}).setdefault(p.value, set()).add(o.value)
        snap.inverse.setdefault(o.value, {}).setdefault(p.value, set()).add(s.value)
    for s, p, o in rows(ATTRS):
        if s is not None and p is not None and o is not None:
            snap.attrs.setdefault(s.value, {}).setdefault(p.value, []).append(o)
    for d, fy, doc_kind in rows(DOC_ATTRS):
        if d is None:
            continue
        if (year := _int(fy)) is not None:
            snap.doc_year[d.value] = year
        if doc_kind is not None:
            snap.doc_kind[d.value] = doc_kind.value
    for row in rows(BUDGETS):
        budget, program, fy, stage, rnd, amount, partial, selected, document, first, included = row
        year, yen = _int(fy), _int(amount)
        if budget is None or program is None or year is None or yen is None:
            continue
        snap.budgets.append(Budget(
            budget.value, program.value, year, _v(stage), _int(rnd), yen, _v(partial) == "true",
            _v(selected) == "true", tuple(sorted(_v(included).split())), _v(document), _int(first)))
    snap.budgets.sort(key=lambda b: (b.program, b.fiscal_year, b.stage, b.round or 0, b.document))
    for fact, ftype, program, a, b, c, fy, stage, amount in rows(FACTS):
        if fact is None or ftype is None or program is None or fact.value in snap.facts:
            continue
        snap.facts[fact.value] = Fact(fact.value, ftype.value, program.value, _v(a), _v(b), _v(c),
                                      _int(fy), _v(stage), _int(amount))
    evidence: dict[str, set[tuple[str, str, int]]] = defaultdict(set)
    for fact, ev, doc, line in rows(EVIDENCE):
        if fact is not None and ev is not None and doc is not None and (number := _int(line)) is not None:
            evidence[fact.value].add((ev.value, doc.value, number))
    snap.evidence = {k: sorted(v, key=lambda e: (e[1], e[2])) for k, v in evidence.items()}
    snap.index()
    return snap


_SNAPSHOTS: weakref.WeakKeyDictionary[Any, Snapshot] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def snapshot_for(app: Any) -> Snapshot:
    """The app's :class:`Snapshot`, built from its worker pool on first use and then kept."""
    with _LOCK:
        snap = _SNAPSHOTS.get(app)
        if snap is None:
            def run(text: str) -> Any:
                result, truncated = app.pool.run(Job(text, "json", MAX_ROWS, as_result=True), app.config.timeout * 6)
                if truncated:
                    raise RuntimeError(f"a snapshot query has more than {MAX_ROWS} rows")
                return result

            snap = _SNAPSHOTS[app] = build(run)
        return snap
