"""The lineage as a networkx graph: nodes, left-to-right edges, columns, filters, ranking, paths."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stikg.lineage.data import (
    AGENCY_ROLES,
    STAGES,
    Entity,
    LineageData,
    LineageError,
    budget_rows,
    budgets,
    default_stage,
    name_key,
    pick_budget,
)

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
    rows: list[dict[str, Any]] = []
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
