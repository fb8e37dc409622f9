"""A layered layout of the lineage graph (columns left to right, sizes by yen)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

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
