"""Cross-document reconciliation: where documents disagree about the same amount.

The same program, fiscal year and budget stage reported with different whole amounts by
different documents is never merged silently: the shapes flag it as a SHACL warning and this
module lists every such pair with its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from stikg.core.errors import StikgError

QUERY_FILE = "document_disagreements.rq"


@dataclass(frozen=True)
class Disagreement:
    """Two documents reporting different amounts for one program, year and stage."""

    program: str
    label_ja: str
    fiscal_year: int
    stage: str
    amount_a: int
    doc_a: str
    line_a: int
    amount_b: int
    doc_b: str
    line_b: int


def find_disagreements(dataset: Path, queries: Path) -> list[Disagreement]:
    """Load ``kg/dataset.nq`` into an in-memory store and run the disagreement query."""
    if not dataset.is_file():
        raise StikgError("no built graph: run `stikg build` first", dataset)
    store = pyoxigraph.Store()
    with dataset.open("rb") as handle:
        store.bulk_load(handle, pyoxigraph.RdfFormat.N_QUADS)
    query = (queries / QUERY_FILE).read_text(encoding="utf-8")
    solutions = store.query(query, use_default_graph_as_union=True)
    if not isinstance(solutions, pyoxigraph.QuerySolutions):
        raise StikgError(f"{QUERY_FILE} must be a SELECT query", queries / QUERY_FILE)
    rows = []
    for solution in solutions:
        def v(name: str, solution=solution) -> str:
            term = solution[name]
            return "" if term is None else term.value
        rows.append(Disagreement(
            program=v("program"), label_ja=v("label_ja"), fiscal_year=int(v("fiscal_year")),
            stage=v("stage"), amount_a=int(v("amount_yen_a")), doc_a=v("doc_a"), line_a=int(v("line_a")),
            amount_b=int(v("amount_yen_b")), doc_b=v("doc_b"), line_b=int(v("line_b")),
        ))
    return rows


def format_report(rows: list[Disagreement]) -> str:
    """One paragraph per disagreement, amounts in yen with thousands separators."""
    if not rows:
        return "No disagreements: every program, year and stage reported by several documents agrees.\n"
    out = [f"{len(rows)} disagreement(s) between documents:"]
    for r in rows:
        out.append(f"- {r.label_ja or r.program} FY{r.fiscal_year} {r.stage}: "
                   f"{r.amount_a:,} yen ({r.doc_a}:{r.line_a}) vs {r.amount_b:,} yen ({r.doc_b}:{r.line_b})")
    return "\n".join(out) + "\n"
