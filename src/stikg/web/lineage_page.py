"""Self-contained lineage page (one HTML file, scripts inlined) and a static SVG rendering.

The page (``templates/lineage.html`` + ``templates/lineage.js``) inlines the vendored
cytoscape.js (and cytoscape-dagre) and embeds the data as JSON in a
``<script type="application/json">`` element. The JSON is escaped so that no label can close
that element (``<``, ``>``, ``&``, U+2028/9 are written as ``\\uXXXX``); the page script puts
data into the DOM with ``textContent`` and cytoscape data only. A Content-Security-Policy allows
exactly the inlined scripts (by hash) and no network access, so even markup smuggled into a label
could not run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from importlib import resources
from typing import Any

from stikg.core.config import base_iri
from stikg.lineage import (
    STAGES,
    Filters,
    LineageData,
    LineageError,
    agencies,
    budgets,
    build_graph,
    default_stage,
    layered_layout,
    resolve_filters,
    visible_nodes,
)

VENDOR_SCRIPTS = (
    "static/vendor/cytoscape-3.34.4/cytoscape.min.js",
    "static/vendor/cytoscape-dagre-4.0.1/cytoscape-dagre.min.js",
)
APP_SCRIPT = "templates/lineage.js"
TEMPLATE = "templates/lineage.html"


def _resource(rel: str) -> str:
    return resources.files("stikg.web").joinpath(*rel.split("/")).read_text(encoding="utf-8")


def embed_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def page_data(data: LineageData, filters: Filters | None = None, *, mode: str = "file",
              server_url: str = "", title: str = "stikg lineage") -> dict[str, Any]:
    """Everything the page shows: nodes with positions, edges, records for the side panel, the
    filter choices and the initial filters (resolved to IRIs).

    Compact on purpose (a 5,000-node lineage must parse fast): IRIs under ``meta.base`` are
    written without it, edges are ``[source, target, kind, program]`` arrays, and what the page
    can derive (budgets, filter facets) is derived there from the records.
    """
    filters = filters or Filters()
    g = build_graph(data)
    pos = layered_layout(g)
    resolved = resolve_filters(data, filters)
    iris = [*g.nodes, *data.entities]
    base = base_iri()
    if not all(i.startswith(base) for i in iris):
        base = ""

    def short(iri: str | None) -> str:
        return "" if iri is None else iri[len(base):] if base and iri.startswith(base) else iri

    nodes = []
    for n, a in g.nodes(data=True):
        ent = data.entities[n]
        item: dict[str, Any] = {"id": short(n), "kind": a["kind"], "type": a["type"], "col": a["column"],
                                "o": a["order"], "x": pos[n][0], "y": pos[n][1]}
        if ent.label_ja:
            item["ja"] = ent.label_ja
        if ent.label_en:
            item["en"] = ent.label_en
        if a["label"] not in (ent.label_ja, ent.label_en):
            item["label"] = a["label"]
        if ent.aliases:
            item["aliases"] = list(ent.aliases)
        if ent.edition_year is not None:
            item["year"] = ent.edition_year
        if ent.decision_date:
            item["date"] = ent.decision_date
        nodes.append(item)
    edges = [[short(u), short(v), a["kind"], short(a.get("program"))] for u, v, a in g.edges(data=True)]
    cited = {c.strategy for c in data.citations}
    return {
        "meta": {
            "title": title, "mode": mode, "server_url": server_url.rstrip("/"), "base": base,
            "latest_fiscal_year": data.latest_fiscal_year(), "fiscal_years": data.fiscal_years(),
            "stages": [s for s in STAGES if any(a.stage == s for a in data.amounts)],
            # the one stage shown for a year when none is chosen (stikg.lineage.default_stage)
            "default_stages": {str(y): default_stage(data, y) for y in data.fiscal_years()},
        },
        "initial": {
            "strategy_text": filters.strategy or "", "strategies": [short(i) for i in resolved.strategies],
            "agency_text": filters.agency or "", "agencies": [short(i) for i in resolved.agencies],
            "fiscal_year": resolved.fiscal_year, "stage": resolved.stage or "", "errors": list(resolved.errors),
        },
        "choices": {
            "strategies": [[short(e.iri), e.label, e.edition_year] for e in data.of_kind("strategy") if e.iri in cited],
            "agencies": [[short(e.iri), e.label] for e in agencies(data)],
        },
        "nodes": nodes,
        "edges": edges,
        "amounts": [[short(a.program), a.fiscal_year, a.stage, a.amount_yen, 1 if a.partial else 0, a.doc, a.line]
                    for a in data.amounts],
        # program → fiscal year → stage → yen: the selected figures every total uses (stikg.rdf.budget_facts)
        "budgets": {short(p): {str(y): stages for y, stages in sorted(years.items())}
                    for p, years in sorted(budgets(data).items())},
        "citations": [[short(c.program), short(c.strategy), c.doc, c.line] for c in data.citations],
        "roles": [[short(r.program), short(r.organization), r.role, r.doc, r.line] for r in data.roles],
        "flows": [[short(f.program), short(f.from_org), short(f.to_org), f.instrument, f.doc, f.line] for f in data.flows],
        "links": [[short(a), k, short(b)] for a, k, b in data.links],
        "names": {short(e.iri): e.label for e in data.entities.values() if e.iri not in g},
        "quotes": {f"{doc}#{line}": q for (doc, line), q in sorted(data.quotes.items())},
        "visible_count": len(visible_nodes(g, data, resolved)) if not resolved.errors else 0,
    }


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(payload: dict[str, Any]) -> str:
    """The HTML page for :func:`page_data`'s payload (vendored scripts and data inlined)."""
    scripts = [_resource(p) for p in VENDOR_SCRIPTS] + [_resource(APP_SCRIPT)]
    for text in scripts:
        if "</script" in text.lower():
            raise LineageError("a script to inline contains '</script'; cannot embed it safely")
    csp = ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in scripts)
           + "; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
    import html as _html

    page = _resource(TEMPLATE)
    page = page.replace("{{CSP}}", _html.escape(csp, quote=True))
    page = page.replace("{{TITLE}}", _html.escape(payload["meta"]["title"]))
    page = page.replace("<!--DATA-->", embed_json(payload))
    page = page.replace("<!--SCRIPTS-->", "\n".join(f"<script>{s}</script>" for s in scripts))
    return page


def render_html(data: LineageData, filters: Filters | None = None, *, mode: str = "file",
                server_url: str = "", title: str = "stikg lineage") -> str:
    """One self-contained HTML page of the lineage (no network access at run time)."""
    return render_page(page_data(data, filters, mode=mode, server_url=server_url, title=title))


# ----------------------------------------------------------------------------------------- SVG

# the stage named with every amount on a drawing (a request is never called a budget)
STAGE_SHORT = {"request": "概算要求 request", "budget_draft": "予算案 draft", "budget": "当初予算 budget",
               "supplementary": "補正予算 supplementary", "fund": "基金 fund", "other": "その他 other"}

COLOURS = {
    "strategy": "#7b4fb5", "program": "#1f6fb4", "subprogram": "#79b3e0", "hub": "#e6a720",
    "ministry": "#c8423b", "government": "#c8423b", "bureau": "#ee9a94", "funding_agency": "#f07f0c",
    "council": "#b9a3d6", "research_institute": "#2f9a44", "university": "#8fcf6c", "company": "#a0612a",
    "organization": "#9a9a9a",
}


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'


def to_dot(data: LineageData, filters: Filters | None = None) -> str:
    """The (filtered) lineage in Graphviz DOT, left to right, one rank per column."""
    resolved = resolve_filters(data, filters or Filters())
    if resolved.errors:
        raise LineageError(resolved.errors[0])
    g = build_graph(data, resolved.fiscal_year, resolved.stage)
    keep = visible_nodes(g, data, resolved)
    if not any(g.nodes[n]["kind"] == "program" for n in keep):
        raise LineageError("no program matches the filters")
    year, stage = g.graph["fiscal_year"], g.graph["stage"]  # the figures build_graph sized the programs by
    ids = {n: f"n{i}" for i, n in enumerate(sorted(keep))}
    top = max((g.nodes[n].get("budget_yen", 0) for n in keep), default=0) or 1
    lines = ["digraph lineage {", "  graph [rankdir=LR, ranksep=1.2, nodesep=0.08, fontname=\"Noto Sans CJK JP\", "
             "splines=true, outputorder=edgesfirst];",
             "  node [shape=box, style=\"rounded,filled\", fontname=\"Noto Sans CJK JP\", fontsize=10, "
             "fontcolor=\"#ffffff\", penwidth=0, margin=\"0.08,0.03\"];",
             "  edge [color=\"#9aa5b1\", arrowsize=0.5];"]
    by_col: dict[int, list[str]] = {}
    for n in sorted(keep):
        a = g.nodes[n]
        label = a["label"] if len(a["label"]) <= 28 else a["label"][:27] + "…"
        if a["kind"] == "program" and a.get("budget_yen"):
            label += f"\n{a['budget_yen'] / 1e8:,.1f}億円 · FY{year} {STAGE_SHORT.get(stage or '', stage or '')}"
        colour = COLOURS.get(a["type"], "#9a9a9a")
        height = 0.3 + (0.5 * (a.get("budget_yen", 0) / top) ** 0.5 if a["kind"] == "program" else 0)
        lines.append(f"  {ids[n]} [label={_dot_string(label)}, fillcolor=\"{colour}\", height={height:.2f}, "
                     f"tooltip={_dot_string(a['label_ja'] + ' / ' + a['label_en'])}];")
        by_col.setdefault(a["column"], []).append(ids[n])
    for col, members in sorted(by_col.items()):
        lines.append(f"  {{ rank=same; {' '.join(members)} }}  // column {col}")
    styles = {"next_edition": "style=dashed, color=\"#7b4fb5\", constraint=false",
              "successor": "style=dashed, color=\"#1f6fb4\", constraint=false",
              "subprogram": "style=dotted", "flow": "color=\"#f07f0c\"", "cites": "color=\"#7b4fb5\""}
    seen = set()
    for u, v, _k, a in g.edges(keys=True, data=True):
        if u not in keep or v not in keep:
            continue
        if a["kind"] == "flow" and a.get("program") not in keep:
            continue
        if (u, v, a["kind"]) in seen:
            continue
        seen.add((u, v, a["kind"]))
        width = 0.6 + 5 * (a.get("weight", 0) / top) ** 0.5
        extra = styles.get(a["kind"], "")
        lines.append(f"  {ids[u]} -> {ids[v]} [penwidth={width:.2f}{', ' + extra if extra else ''}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(data: LineageData, filters: Filters | None = None) -> str:
    """A static SVG of the (filtered) lineage, drawn by Graphviz ``dot`` (Debian ``graphviz``)."""
    dot = shutil.which("dot")
    if dot is None:
        raise LineageError("the SVG rendering needs Graphviz `dot`: install the Debian package graphviz "
                           "(scripts/install-system-deps.sh does)")
    proc = subprocess.run([dot, "-Tsvg"], input=to_dot(data, filters).encode("utf-8"),
                          capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise LineageError(f"dot failed: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return proc.stdout.decode("utf-8")
