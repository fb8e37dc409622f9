"""Precision, recall and F1 of extracted records against gold annotations.

Both sides are CSVs in the gold format (``amounts.csv``, ``citations.csv``, ``organizations.csv``,
``flows.csv``), either directly in the directory (one document) or in one sub-directory per
document (``GOLD_DIR/<doc-stem>/`` against ``PRED_DIR/<doc-stem>/``; a document missing from the
predictions counts as predicting nothing).

Matching is by key, as a multiset (two identical gold rows need two predictions):

* amounts: ``(doc, line, fiscal_year, stage, amount_yen, partial)`` — the figure, its year and
  stage at the printed line; ``amount_text``, ``note`` and the program name do not count;
* citations: ``(doc, line, strategy)`` where the strategy is its registry id when the name resolves,
  else :func:`stikg.core.text.name_key` of the name (so ``（第２期）`` vs ``(第2期)`` or spacing do not matter);
* organizations: ``(doc, line, organization, role)`` with the organisation's key from
  :func:`stikg.extract.organizations.org_key`: the registry id when the name resolves, else the
  built-in agency table (``AMED`` = ``日本医療研究開発機構（AMED）``), else a bracketed Latin
  abbreviation, else the name key without a trailing bracketed qualifier;
* flows: ``(doc, line, from, to, instrument)`` with both organisations keyed as above.

``doc`` is compared as a file name (``000_….txt``), ``line`` as an integer. As extra information the
score counts, among matched rows, how often the program names agree (name keys of the whole
``Parent > Child`` path).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from stikg.core.errors import StikgError
from stikg.core.text import name_key, nfkc
from stikg.inputs.registry import Resolver, lookup

TABLES = ("amounts", "citations", "organizations", "flows")


@dataclass
class TableScore:
    """Scores of one table."""

    table: str
    tp: int = 0
    gold: int = 0
    pred: int = 0
    program_agree: int = 0
    program_pairs: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: TableScore) -> None:
        """Accumulate another score of the same table."""
        self.tp += other.tp
        self.gold += other.gold
        self.pred += other.pred
        self.program_agree += other.program_agree
        self.program_pairs += other.program_pairs

    def as_dict(self) -> dict:
        """JSON-ready form with the rates."""
        d = asdict(self)
        d.update(precision=round(self.precision, 4), recall=round(self.recall, 4), f1=round(self.f1, 4))
        return d


@dataclass
class EvalResult:
    """Overall and per-document scores."""

    tables: dict[str, TableScore] = field(default_factory=dict)
    documents: dict[str, dict[str, TableScore]] = field(default_factory=dict)
    registry: str = "none"

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "registry": self.registry,
            "tables": {t: s.as_dict() for t, s in self.tables.items()},
            "documents": {d: {t: s.as_dict() for t, s in ts.items()} for d, ts in self.documents.items()},
        }


# ---------------------------------------------------------------------- keys


def _int(value: object) -> int | None:
    s = str(value if value is not None else "").strip()
    if not s:
        return None
    try:
        return int(float(s)) if "." in s else int(s)
    except ValueError:
        return None


def _bool(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "t")


def _doc(value: object) -> str:
    return Path(str(value or "").strip()).name


def strategy_key(name: str, registry: Resolver | None = None) -> str:
    """Registry id of a strategy name, else its name key."""
    entry = lookup(registry, "strategy", name)
    if entry is not None:
        return "id:" + entry.id
    return "key:" + name_key(name or "")


def row_key(table: str, row: dict, registry: Resolver | None = None) -> tuple:
    """The matching key of one CSV row of ``table`` (see the module docstring)."""
    from stikg.extract.organizations import org_key

    doc, line = _doc(row.get("doc")), _int(row.get("line"))
    if table == "amounts":
        return (doc, line, _int(row.get("fiscal_year")), (row.get("stage") or "").strip(),
                _int(row.get("amount_yen")), _bool(row.get("partial")))
    if table == "citations":
        return (doc, line, strategy_key(row.get("strategy") or "", registry))
    if table == "organizations":
        return (doc, line, org_key(row.get("organization") or "", registry), (row.get("role") or "").strip())
    if table == "flows":
        return (doc, line, org_key(row.get("from_org") or "", registry), org_key(row.get("to_org") or "", registry),
                nfkc(row.get("instrument") or ""))
    raise ValueError(f"unknown table {table!r}")


def score_rows(table: str, gold: list[dict], pred: list[dict], registry: Resolver | None = None) -> TableScore:
    """Multiset-match predicted rows against gold rows of one table."""
    gold_keys: dict[tuple, list[str]] = {}
    pred_keys: dict[tuple, list[str]] = {}
    for rows, into in ((gold, gold_keys), (pred, pred_keys)):
        for row in rows:
            into.setdefault(row_key(table, row, registry), []).append(name_key(row.get("program") or ""))
    s = TableScore(table, gold=len(gold), pred=len(pred))
    for k, gold_programs in gold_keys.items():
        pred_programs = pred_keys.get(k)
        if not pred_programs:
            continue
        matched = min(len(gold_programs), len(pred_programs))
        s.tp += matched
        s.program_pairs += matched
        s.program_agree += min(matched, sum((Counter(gold_programs) & Counter(pred_programs)).values()))
    return s


# ---------------------------------------------------------------------- files


def read_rows(path: Path) -> list[dict]:
    """Rows of a CSV file as dicts ([] when the file does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StikgError(f"cannot read CSV: {exc}", path) from None


def _documents(gold_dir: Path) -> Sequence[str | None]:
    """The gold documents' sub-directories, or [None] when the CSVs lie in ``gold_dir`` itself."""
    if any((gold_dir / f"{t}.csv").exists() for t in TABLES):
        return [None]
    return sorted(p.name for p in gold_dir.iterdir() if p.is_dir() and any((p / f"{t}.csv").exists() for t in TABLES))


def evaluate_dirs(gold_dir: str | Path, pred_dir: str | Path, registry: Resolver | None = None,
                  registry_name: str = "none") -> EvalResult:
    """Score every table of every gold document against the predictions."""
    gold_dir, pred_dir = Path(gold_dir), Path(pred_dir)
    for d, what in ((gold_dir, "gold"), (pred_dir, "prediction")):
        if not d.is_dir():
            raise StikgError(f"{what} directory not found", d)
    docs = _documents(gold_dir)
    if not docs:
        raise StikgError("no gold CSVs (amounts.csv, citations.csv, …) here or in sub-directories", gold_dir)
    result = EvalResult(tables={t: TableScore(t) for t in TABLES}, registry=registry_name)
    for doc in docs:
        g = gold_dir / doc if doc else gold_dir
        p = pred_dir / doc if doc else pred_dir
        if doc and not p.is_dir() and any((pred_dir / f"{t}.csv").exists() for t in TABLES) and len(docs) == 1:
            p = pred_dir
        per = {}
        for table in TABLES:
            s = score_rows(table, read_rows(g / f"{table}.csv"), read_rows(p / f"{table}.csv"), registry)
            per[table] = s
            result.tables[table].add(s)
        result.documents[doc or gold_dir.name] = per
    return result


def format_result(result: EvalResult) -> str:
    """The small text table: one line per table first, then per-document lines."""

    def line(s: TableScore, indent: str = "") -> str:
        agree = f"{s.program_agree}/{s.program_pairs}" if s.program_pairs else "-"
        return (f"{indent}{s.table:<14} precision {s.precision:.3f}  recall {s.recall:.3f}  f1 {s.f1:.3f}"
                f"  (tp {s.tp}, gold {s.gold}, pred {s.pred}; program names agree {agree})")

    out = [line(result.tables[t]) for t in TABLES]
    if len(result.documents) > 1:
        for doc, per in result.documents.items():
            out.append("")
            out.append(doc)
            out.extend(line(per[t], "  ") for t in TABLES)
    out.append("")
    out.append(f"registry: {result.registry}")
    return "\n".join(out) + "\n"


def to_json(result: EvalResult) -> str:
    """The result as indented JSON."""
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"
