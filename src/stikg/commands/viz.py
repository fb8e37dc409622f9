"""``stikg viz``: the policy-to-program lineage as one offline HTML page (or a static SVG)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stikg.core import atomic
from stikg.core.config import Paths, find_root
from stikg.lineage import (
    STAGES,
    Filters,
    LineageError,
    build_graph,
    fetch_embedded,
    resolve_filters,
    visible_nodes,
)

HELP = "draw the lineage (strategies → programs → agencies → hubs): one self-contained HTML page, or SVG"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", metavar="NAME|IRI",
                        help="only programs citing this strategy (id, IRI, label, alias, or part of a label)")
    parser.add_argument("--fiscal-year", type=int, metavar="Y", help="only programs with amounts in this fiscal year")
    parser.add_argument("--agency", metavar="NAME|IRI", help="only programs this organisation runs, funds or manages")
    parser.add_argument("--stage", choices=STAGES, help="only amounts of this budget stage (and size by it)")
    parser.add_argument("--out", "-o", type=Path, required=True, metavar="FILE", help="output file (.html or .svg)")
    parser.add_argument("--format", "-f", choices=("html", "svg"), default=None,
                        help="html (interactive, default) or svg (static, Graphviz dot); default from --out's suffix")
    parser.add_argument("--title", default="stikg lineage — 政策から事業への系譜", help="page title")
    parser.add_argument("--server-url", default="", metavar="URL",
                        help="URL of a `stikg serve` for evidence and entity links (default: none; the page names "
                             "document and line as text; /lineage on the server links them relative to itself)")
    parser.add_argument("--dataset", type=Path, metavar="FILE.nq", help="draw this N-Quads file instead of kg/dataset.nq")


def run(args: argparse.Namespace) -> int:
    from stikg.web import lineage_page as viz

    fmt = args.format or ("svg" if args.out.suffix.lower() == ".svg" else "html")
    paths = Paths(find_root())
    data = fetch_embedded(paths, args.dataset)
    filters = Filters(args.strategy, args.fiscal_year, args.agency, args.stage)
    resolved = resolve_filters(data, filters)
    if resolved.errors:
        raise LineageError(resolved.errors[0])
    g = build_graph(data, resolved.fiscal_year, resolved.stage)
    shown = visible_nodes(g, data, resolved)
    programs = sum(1 for n in shown if g.nodes[n]["kind"] == "program")
    if programs == 0:
        given = ", ".join(f"{k} {v}" for k, v in (("strategy", args.strategy), ("fiscal year", args.fiscal_year),
                                                   ("agency", args.agency), ("stage", args.stage)) if v is not None)
        raise LineageError(f"no program matches the filters ({given}); fiscal years with amounts: "
                           f"{', '.join(map(str, data.fiscal_years()))}")
    if fmt == "svg":
        text = viz.render_svg(data, filters)
    else:
        text = viz.render_html(data, filters, mode="file", server_url=args.server_url, title=args.title)
    atomic.write_text(args.out, text)
    print(f"wrote {args.out} ({fmt}, {len(shown)} of {g.number_of_nodes()} nodes shown, {programs} programs, "
          f"{len(text.encode('utf-8')):,} bytes)", file=sys.stderr)
    return 0
