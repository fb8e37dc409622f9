"""``stikg lineage``: which strategies carry the most programs and yen; a program's path back to them."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from stikg.core.config import Paths, find_root
from stikg.lineage import (
    STAGES,
    LineageData,
    fetch_embedded,
    lineage_paths,
    resolve_program,
    strategy_ranking,
)

STAGE_NAMES = {"request": "request (概算要求)", "budget_draft": "draft budget (予算案)", "budget": "enacted budget (当初予算)",
               "supplementary": "supplementary budget (補正予算)", "fund": "fund (基金)", "other": "other stage"}

HELP = "lineage report: strategies ranked by citing programs and yen; --program NAME: its path back to strategies"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--program", metavar="NAME|IRI", help="print this program's lineage back to the strategies it rests on")
    parser.add_argument("--fiscal-year", type=int, metavar="Y", help="fiscal year of the yen (default: the latest with amounts)")
    parser.add_argument("--stage", choices=STAGES, help="budget stage of the yen (default: the stage with figures for the most programs that year; one stage for all programs)")
    parser.add_argument("--limit", type=int, default=0, help="show the first N strategies only")
    parser.add_argument("--format", "-f", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--dataset", type=Path, metavar="FILE.nq", help="use this N-Quads file instead of kg/dataset.nq")


def _width(text: str) -> int:
    from stikg.sparql import char_width

    return char_width(text)


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - _width(c))
            out.append(pad + c if i in right else c + pad)
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]) + "\n"


def ranking_text(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    cols = ["rank", "strategy", "label", "edition_year", "programs", "funded_programs", "yen", "partial_programs",
            "documents", "fiscal_year", "stage"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow(["" if r[c] is None else r[c] for c in cols])
        return out.getvalue()
    year = rows[0]["fiscal_year"] if rows else None
    stage = rows[0]["stage"] if rows else None
    what = f"FY{year} {STAGE_NAMES.get(stage or '', stage or 'no stage')}"
    body = [[str(r["rank"]), r["label"], str(r["edition_year"] or ""), str(r["programs"]), str(r["funded_programs"]),
             f"{r['yen']:,}", f"{r['yen'] / 1e8:,.1f}", str(r["documents"])] for r in rows]
    head = ["#", "strategy", "edition", "programs", "with yen", f"yen ({what})", "億円", "docs"]
    note = (f"Strategies by the {what} yen and number of the programs citing them: each program once, with its "
            "selected figure (the largest when documents disagree); a sub-program's yen is not added again when "
            "a parent whose budget includes it cites the same strategy; の内数 amounts are not counted.\n\n")
    return note + _table(head, body, {0, 2, 3, 4, 5, 6, 7})


def path_text(data: LineageData, program: str, fmt: str) -> str:
    paths = lineage_paths(data, program)
    ent = data.entities[program]
    if fmt == "json":
        return json.dumps({"program": program, "label": ent.label, "paths": [
            [{"relation": s.relation, "node": s.node, "label": data.entities[s.node].label,
              "evidence": [f"{d}#L{line}" for d, line in s.evidence]} for s in p] for p in paths]},
            ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["path", "step", "relation", "node", "label", "evidence"])
        for i, p in enumerate(paths, 1):
            for j, s in enumerate(p, 1):
                writer.writerow([i, j, s.relation, s.node, data.entities[s.node].label,
                                 " ".join(f"{d}#L{line}" for d, line in s.evidence)])
        return out.getvalue()
    lines = [f"{ent.label} ({ent.slug})" + (f" — {ent.label_en}" if ent.label_en and ent.label_en != ent.label else "")]
    if not paths:
        lines.append("  rests on no strategy: no citation, and none through parent programs or predecessors")
        return "\n".join(lines) + "\n"
    strategies = sorted({p[-1].node for p in paths}, key=lambda s: data.entities[s].label)
    lines.append(f"  rests on {len(strategies)} strateg{'y' if len(strategies) == 1 else 'ies'} "
                 f"by {len(paths)} path{'s' if len(paths) != 1 else ''}:")
    for p in paths:
        chain = [data.entities[s.node].label for s in reversed(p)] + [ent.label]
        via = [("parent program " if s.relation == "subprogram of" else "predecessor ") + data.entities[s.node].label
               for s in p[:-1]]
        ev = ", ".join(f"{d} L{line}" for d, line in p[-1].evidence)
        lines.append(f"  {' → '.join(chain)}")
        lines.append(f"      ({'via ' + ', '.join(via) + '; ' if via else 'direct citation; '}cited at {ev})")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    paths = Paths(find_root())
    data = fetch_embedded(paths, args.dataset)
    if args.program:
        text = path_text(data, resolve_program(data, args.program), args.format)
    else:
        if args.fiscal_year is not None and args.fiscal_year not in data.fiscal_years():
            from stikg.lineage import LineageError

            raise LineageError(f"no amounts for fiscal year {args.fiscal_year}; fiscal years: "
                               f"{', '.join(map(str, data.fiscal_years()))}")
        rows = strategy_ranking(data, args.fiscal_year, args.stage)
        if args.limit > 0:
            rows = rows[: args.limit]
        text = ranking_text(rows, args.format)
    sys.stdout.write(text)
    return 0
