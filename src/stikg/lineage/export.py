"""The lineage graph as GraphML or GEXF (networkx writers), attributes as plain scalars."""

from __future__ import annotations

import re
from typing import Any

from stikg.lineage.data import LineageError, fetch_embedded
from stikg.lineage.graph import build_graph

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
