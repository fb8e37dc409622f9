"""Lineage page benchmark: a synthetic 5,000-node lineage rendered in headless Chromium.

Reports the HTML size, the Python time to build the page, the time to the first interactive
frame (``window.lineageReadyMs``: navigation start → first frame after cytoscape drew the nodes;
target < 3 s) and the time until every edge is drawn (``window.lineageEdgesMs``; large graphs
stream their edges in after the first frame). Each run uses a fresh page; the network is cut.

    python benchmarks/bench_viz.py [--nodes 5000] [--runs 3] [--keep FILE.html]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="also write the page here")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"bench_viz: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from stikg.lineage import model as lineage
    from stikg.web import lineage_page as viz

    start = time.perf_counter()
    data = lineage.synthetic_lineage(args.nodes)
    graph = lineage.build_graph(data)
    page_html = viz.render_html(data)
    build_s = time.perf_counter() - start
    size = len(page_html.encode("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lineage.html"
        path.write_text(page_html, encoding="utf-8")
        if args.keep:
            args.keep.write_text(page_html, encoding="utf-8")
        ready, edges, wall = [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1600, "height": 1000})
                page = context.new_page()
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                           else route.abort())
                t0 = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                wall.append(time.perf_counter() - t0)
                ready.append(page.evaluate("window.lineageReadyMs") / 1000)
                page.wait_for_selector("body[data-edges='1']", timeout=120_000)
                edges.append(page.evaluate("window.lineageEdgesMs") / 1000)
                shown = page.evaluate("window.lineage.cy.nodes(':visible').length")
                assert shown == graph.number_of_nodes(), (shown, graph.number_of_nodes())
                context.close()
            browser.close()
    result = {
        "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "html_bytes": size,
        "python_build_s": round(build_s, 2), "first_interactive_frame_s": [round(x, 2) for x in ready],
        "all_edges_drawn_s": [round(x, 2) for x in edges], "goto_to_ready_wall_s": [round(x, 2) for x in wall],
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        med = statistics.median
        print(f"lineage page: {result['nodes']:,} nodes, {result['edges']:,} edges, HTML {size / 1e6:.2f} MB "
              f"(Python build {build_s:.2f} s)")
        print(f"first interactive frame: median {med(ready):.2f} s (runs: {', '.join(f'{x:.2f}' for x in ready)}; "
              f"target < 3 s)")
        print(f"all edges drawn:         median {med(edges):.2f} s (runs: {', '.join(f'{x:.2f}' for x in edges)})")
    return 0 if statistics.median(ready) < 3.0 else 1


if __name__ == "__main__":
    sys.exit(main())
