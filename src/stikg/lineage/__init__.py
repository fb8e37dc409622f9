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

Amounts: a program's *budget* in a fiscal year is its selected figure (stikg:isSelectedFigure,
stikg.rdf.budget_facts) of one stage — the chosen one, else :func:`default_stage`, the stage with
figures for the most programmes that year; never a mix of stages.
"""

from __future__ import annotations

from stikg.lineage.data import (
    AGENCY_ROLES,
    AMOUNTS_QUERY,
    BUDGET_PREFERENCE,
    EDGE_KINDS,
    ENTITIES_QUERY,
    LIBRARY_QUERIES,
    LINKS_QUERY,
    ORG_TYPES,
    QUOTES_QUERY,
    STAGES,
    Amount,
    BudgetRow,
    CitationRow,
    Entity,
    FlowRow,
    HubRow,
    LineageData,
    LineageError,
    RoleRow,
    Runner,
    budget_rows,
    budgets,
    budgets_of_amounts,
    default_stage,
    fetch,
    fetch_embedded,
    library_texts,
    local_name,
    name_key,
    normalise,
    pick_budget,
)
from stikg.lineage.export import (
    export_network,
    network_text,
)
from stikg.lineage.graph import (
    Filters,
    Resolved,
    Step,
    agencies,
    assign_columns,
    build_graph,
    is_filtered,
    known,
    lineage_paths,
    node_type,
    program_facets,
    resolve_filters,
    resolve_program,
    strategy_ranking,
    visible_nodes,
    visible_programs,
)
from stikg.lineage.layout import (
    COLUMN_WIDTH,
    NODE_GAP,
    layered_layout,
    node_sizes,
    stack_columns,
)
from stikg.lineage.synthetic import (
    synthetic_lineage,
)

__all__ = [
    "AGENCY_ROLES",
    "AMOUNTS_QUERY",
    "Amount",
    "BUDGET_PREFERENCE",
    "BudgetRow",
    "COLUMN_WIDTH",
    "CitationRow",
    "EDGE_KINDS",
    "ENTITIES_QUERY",
    "Entity",
    "Filters",
    "FlowRow",
    "HubRow",
    "LIBRARY_QUERIES",
    "LINKS_QUERY",
    "LineageData",
    "LineageError",
    "NODE_GAP",
    "ORG_TYPES",
    "QUOTES_QUERY",
    "Resolved",
    "RoleRow",
    "Runner",
    "STAGES",
    "Step",
    "agencies",
    "assign_columns",
    "budget_rows",
    "budgets",
    "budgets_of_amounts",
    "build_graph",
    "default_stage",
    "export_network",
    "fetch",
    "fetch_embedded",
    "is_filtered",
    "known",
    "layered_layout",
    "library_texts",
    "lineage_paths",
    "local_name",
    "name_key",
    "network_text",
    "node_sizes",
    "node_type",
    "normalise",
    "pick_budget",
    "program_facets",
    "resolve_filters",
    "resolve_program",
    "stack_columns",
    "strategy_ranking",
    "synthetic_lineage",
    "visible_nodes",
    "visible_programs",
]
