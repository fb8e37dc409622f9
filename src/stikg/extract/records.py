"""Extraction records (the gold CSV contract) and :class:`ExtractionResult`.

Each record is a frozen dataclass whose leading fields are the CSV columns of
``docs/ARCHITECTURE.md`` in order; extra typed fields (``supplementary_round``, ``fund_years``,
``is_new``) are kept on the object but not written to the gold-format CSVs.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, fields
from pathlib import Path

from stikg.core.atomic import write_text

STAGES = ("request", "budget_draft", "budget", "previous_year_budget", "supplementary", "fund", "other")
ROLES = ("implementer", "funding_agency", "host", "recipient", "partner", "bureau")
INSTRUMENTS = ("補助金", "委託", "補助", "運営費交付金", "交付金", "基金", "other")


@dataclass(frozen=True)
class AmountRecord:
    """A budget figure printed for a program (one row of amounts.csv)."""

    doc: str
    line: int
    program: str
    fiscal_year: int | None
    stage: str
    amount_yen: int | None
    amount_text: str
    partial: bool
    note: str
    supplementary_round: int | None = None
    fund_years: int | None = None
    is_new: bool = False

    COLUMNS = ("doc", "line", "program", "fiscal_year", "stage", "amount_yen", "amount_text", "partial", "note")


@dataclass(frozen=True)
class CitationRecord:
    """A strategy or plan a program's page names as its basis (citations.csv)."""

    doc: str
    line: int
    program: str
    strategy: str
    strategy_text: str
    decision_date: str
    decision_body: str
    basis_kind: str = "strategy"  # strategy | plan | policy | report | law | decision | agreement
    article: str = ""  # the article of a law, as printed (第27条の2)

    COLUMNS = ("doc", "line", "program", "strategy", "strategy_text", "decision_date", "decision_body",
               "basis_kind", "article")


@dataclass(frozen=True)
class OrganizationRecord:
    """An organisation named with a role for a program (organizations.csv)."""

    doc: str
    line: int
    program: str
    organization: str
    role: str

    COLUMNS = ("doc", "line", "program", "organization", "role")


@dataclass(frozen=True)
class FlowRecord:
    """One edge of a 事業スキーム / 資金の流れ diagram (flows.csv)."""

    doc: str
    line: int
    program: str
    from_org: str
    to_org: str
    instrument: str

    COLUMNS = ("doc", "line", "program", "from_org", "to_org", "instrument")


@dataclass(frozen=True)
class PeriodRecord:
    """A program's 事業実施期間 / 事業期間 (periods.csv)."""

    doc: str
    line: int
    program: str
    start_fiscal_year: int | None
    end_fiscal_year: int | None
    text: str

    COLUMNS = ("doc", "line", "program", "start_fiscal_year", "end_fiscal_year", "text")


@dataclass(frozen=True)
class ContextRecord:
    """A page of the document with its fiscal-year/stage context and where that came from (contexts.csv)."""

    doc: str
    page: int
    first_line: int
    last_line: int
    program: str
    fiscal_year: int | None
    stage: str
    source: str
    line: int | None
    text: str

    COLUMNS = ("doc", "page", "first_line", "last_line", "program", "fiscal_year", "stage", "source", "line", "text")


@dataclass(frozen=True)
class UnresolvedRow:
    """A printed name the registry does not know (unresolved.csv)."""

    doc: str
    line: int
    kind: str
    name: str
    proposed: str = ""  # a registry entry to paste into mappings/registry/<kind>s.yaml (YAML flow mapping)

    COLUMNS = ("doc", "line", "kind", "name", "proposed")


@dataclass(frozen=True)
class ReportRow:
    """A line that looked like an amount/citation/period/flow but was not extracted, and why."""

    doc: str
    line: int
    text: str
    reason: str

    COLUMNS = ("doc", "line", "text", "reason")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv(rows: list, columns: tuple[str, ...]) -> str:
    """Rows (records) → CSV text with a header, LF line ends, minimal quoting."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in columns])
    return buf.getvalue()


TABLES = (
    ("amounts", AmountRecord),
    ("citations", CitationRecord),
    ("organizations", OrganizationRecord),
    ("flows", FlowRecord),
    ("periods", PeriodRecord),
    ("contexts", ContextRecord),
    ("unresolved", UnresolvedRow),
    ("report", ReportRow),
)


@dataclass
class ExtractionResult:
    """Everything extracted from one document."""

    doc: str
    amounts: list[AmountRecord] = field(default_factory=list)
    citations: list[CitationRecord] = field(default_factory=list)
    organizations: list[OrganizationRecord] = field(default_factory=list)
    flows: list[FlowRecord] = field(default_factory=list)
    periods: list[PeriodRecord] = field(default_factory=list)
    unresolved: list[UnresolvedRow] = field(default_factory=list)
    report: list[ReportRow] = field(default_factory=list)
    contexts: list[ContextRecord] = field(default_factory=list)  # one per page
    warnings: list[str] = field(default_factory=list)  # document-level problems, for people
    fiscal_year: int | None = None
    stage: str | None = None

    def tables(self) -> dict[str, str]:
        """File name → CSV text for every table."""
        return {f"{name}.csv": to_csv(getattr(self, name), cls.COLUMNS) for name, cls in TABLES}

    def write_csv(self, out_dir: str | Path) -> list[Path]:
        """Write the seven CSVs into ``out_dir`` (each atomically); returns the paths written."""
        out = Path(out_dir)
        written = []
        for name, text in self.tables().items():
            path = out / name
            write_text(path, text)
            written.append(path)
        return written

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(getattr(self, name)) for name, _ in TABLES}


def record_fields(cls: type) -> list[str]:
    """All dataclass field names of a record class (CSV columns first)."""
    return [f.name for f in fields(cls)]
