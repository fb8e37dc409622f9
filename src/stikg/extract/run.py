"""The extraction driver: lines → :class:`Doc` → pages → each extractor → :class:`ExtractionResult`."""

from __future__ import annotations

import re
from typing import Protocol

from stikg.core.normalize import era_year
from stikg.extract.context import ContextRecord, assign_contexts, mention_context, web_frame
from stikg.extract.document import (
    MAIN_STAGES,
    Doc,
    is_label_only,
    label_stage,
    label_year,
    labels,
    make_lines,
    yen_matches,
)
from stikg.extract.organizations import is_generic
from stikg.extract.pages import segment
from stikg.extract.records import ExtractionResult, ReportRow, UnresolvedRow
from stikg.inputs.registry import Resolver, lookup

# --kind (catalog vocabulary) → the stage of unlabelled figures when the text gives none
KIND_STAGE = {
    "budget_request": "request",
    "request": "request",
    "draft_budget": "budget_draft",
    "budget_draft": "budget_draft",
    "budget": "budget",
    "enacted_budget": "budget",
    "supplementary": "supplementary",
    "supplementary_budget": "supplementary",
}
_MENTION = re.compile(r"(令和|平成)\s*(\d{1,2}|元)\s*年度\s*(概算要求|予算案|当初予算)")
_MENTION_STAGE = {"概算要求": "request", "予算案": "budget_draft", "当初予算": "budget"}


def document_context(doc: Doc) -> tuple[str | None, int | None, str | None, int | None]:
    """The document's stage and fiscal year, the kind of evidence and its 0-based line: its first
    budget header (``令和7年度要求・要望額``); else a web copy's page header or 出典情報 line
    (``令和8年度予算政府案``); else a mention such as ``令和7年度概算要求のポイント``."""
    for i, line in enumerate(doc.lines):
        text = line.text
        if "。" in text:
            continue
        for m in labels(text):
            stage, fy = label_stage(m), label_year(m)
            if stage in MAIN_STAGES and fy is not None and (is_label_only(text) or yen_matches(text)):
                return stage, fy, "header", i
    frame = doc.frame
    if frame is not None:
        for source, lines in (("page-title", frame.titles), ("source-line", frame.source_lines)):
            for i in sorted(lines):
                ctx = mention_context(lines[i])
                if ctx:
                    return ctx[0], ctx[1], source, i
    for i, line in enumerate(doc.lines):
        mention = _MENTION.search(line.text)
        if mention:
            try:
                year = era_year(mention.group(1), 1 if mention.group(2) == "元" else int(mention.group(2)))
            except ValueError:
                continue
            return _MENTION_STAGE[mention.group(3)], year, "title", i
    return None, None, None, None


def extract_document(
    lines: list[str],
    doc_id: str,
    fiscal_year: int | None = None,
    kind: str | None = None,
    registry: Resolver | None = None,
    override: bool = False,
) -> ExtractionResult:
    """Extract every record of one document (``lines`` as read, 1-based numbering in records).

    ``fiscal_year``/``kind`` (the catalog's, or the command line's) give the stage and year of
    figures whose text states none; with ``override`` they also replace what the document's
    titles and source lines say (a page's own budget header still wins)."""
    from stikg.extract.amounts import AmountExtractor
    from stikg.extract.citations import CitationExtractor
    from stikg.extract.flows import FlowExtractor
    from stikg.extract.organizations import OrganizationExtractor
    from stikg.extract.periods import PeriodExtractor

    doc = Doc(doc_id=doc_id, lines=make_lines(list(lines)), registry=registry)
    doc.frame = web_frame([line.text for line in doc.lines])
    frame_lines = sorted(doc.frame.boilerplate)
    for i in frame_lines:
        doc.lines[i].text = ""  # site frame: quoted as printed, seen by no extractor
    doc.breaks = doc.frame.breaks
    if not (doc.frame.breaks or doc.frame.titles or doc.frame.source_lines):
        doc.frame = None
    kind_stage = KIND_STAGE.get((kind or "").strip())
    stage, year, source, at = document_context(doc)
    if override and fiscal_year is not None and kind_stage:
        stage, year, source, at = kind_stage, fiscal_year, "argument", None
    doc.stage = stage or kind_stage
    doc.fiscal_year = year if year is not None else fiscal_year
    if stage is None and doc.stage:
        source, at = "argument", None
    doc.context_source = source
    doc.context_line = at + 1 if at is not None else None
    doc.context_text = doc.lines[at].printed.strip() if at is not None else None
    segment(doc)
    missing = assign_contexts(doc, fiscal_year, kind_stage, override)
    result = ExtractionResult(doc=doc_id, fiscal_year=doc.fiscal_year, stage=doc.stage)
    result.contexts = context_records(doc)
    if missing:
        where = f"page(s) starting at line(s) {', '.join(map(str, missing))}"
        if fiscal_year is not None and kind_stage:
            what = f"using the given FY{fiscal_year} {kind_stage} for their unlabelled figures"
        else:
            what = "their unlabelled figures are reported, not extracted (give --fiscal-year and --kind)"
        result.warnings.append(f"{doc_id}: no fiscal year or budget stage printed for {where}; {what}")

    amounts = AmountExtractor(doc)
    amounts.run()
    result.amounts = amounts.amounts
    result.report.extend(amounts.report)
    result.report.extend(_frame_figures(doc, frame_lines))

    citations = CitationExtractor(doc)
    citations.run()
    result.citations = citations.citations
    result.report.extend(citations.report)

    flows = FlowExtractor(doc)
    flows.run()
    result.flows = flows.flows
    result.report.extend(flows.report)

    orgs = OrganizationExtractor(doc)
    orgs.run()
    for index, name, role in flows.roles:
        orgs.add(index, name, role)
    result.organizations = orgs.records()
    result.report.extend(orgs.report())

    periods = PeriodExtractor(doc)
    periods.run()
    result.periods = periods.periods
    result.report.extend(periods.report)

    result.unresolved = unresolved_names(result, registry)
    result.report.extend(unattributed(result, doc))
    result.report.sort(key=lambda r: r.line)
    return result


def context_records(doc: Doc) -> list[ContextRecord]:
    """One row per page: its lines, program and context with the evidence's kind and line."""
    rows = []
    for n, page in enumerate(doc.pages, start=1):
        if not any(not doc.lines[i].blank for i in range(page.start, page.end)):
            continue
        ctx = page.context
        rows.append(ContextRecord(
            doc.doc_id, n, page.start + 1, page.end, page.program or "",
            ctx.fiscal_year if ctx else None, ctx.stage if ctx else "", ctx.source if ctx else "none",
            ctx.line if ctx else None, ctx.text if ctx else "",
        ))
    return rows


_ORG_TYPE_BY_SUFFIX = (
    (("大学院", "大学", "高等専門学校"), "university"), (("省", "庁", "府"), "ministry"),
    (("会議", "本部", "委員会", "審議会"), "council"), (("機構", "研究所", "研究センター", "センター", "研究院", "法人"), "research_institute"),
    (("課", "局", "室", "部"), "bureau"), (("株式会社", "社"), "company"),
)


def proposed_entry(kind: str, name: str, basis_kind: str | None = None) -> str:
    """A registry entry for a name the registry does not know, as a one-line YAML mapping to
    paste (and complete: ``name_en`` is left for a person to write) into ``mappings/registry/``."""
    import json

    from stikg.core.hashing import digest
    from stikg.core.text import name_key

    abbr = re.search(r"[(（]\s*([A-Za-z][A-Za-z0-9\-]{1,12})\s*[)）]", name)
    ident = abbr.group(1).lower() if abbr and kind == "organization" else f"new-{digest(kind, name_key(name), length=8)}"
    fields = {"id": ident, "name_ja": name, "name_en": ""}
    if kind == "organization":
        base = re.sub(r"[(（][^()（）]*[)）]\s*$", "", name).strip()
        fields["type"] = next((t for ends, t in _ORG_TYPE_BY_SUFFIX if base.endswith(ends)), "other")
        if abbr:
            fields["aliases"] = [abbr.group(1)]
    elif kind == "strategy":
        fields["type"] = basis_kind or "strategy"
    return "{" + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()) + "}"


NO_PROGRAM = "program not identified"


class _OfProgram(Protocol):
    """A record of a program at a line: amounts, citations, organizations, flows and periods."""

    @property
    def program(self) -> str: ...

    @property
    def line(self) -> int: ...


def _program_records(result: ExtractionResult) -> tuple[_OfProgram, ...]:
    return (*result.amounts, *result.citations, *result.organizations, *result.flows, *result.periods)


def unattributed(result: ExtractionResult, doc: Doc) -> list[ReportRow]:
    """One report row per record whose program could not be identified (its page has no title and
    no rule named it), so that no record loses its program silently."""
    rows = []
    for rec in _program_records(result):
        if not (rec.program or "").strip():
            rows.append(ReportRow(result.doc, rec.line, doc.lines[rec.line - 1].printed.strip(), NO_PROGRAM))
    return rows


def unresolved_names(result: ExtractionResult, registry: Resolver | None) -> list[UnresolvedRow]:
    """Printed names the registry does not know (every name when there is no registry), once
    each, at the first line they appear."""
    first: dict[tuple[str, str], int] = {}

    def note(kind: str, name: str, line: int) -> None:
        name = (name or "").strip()
        if not name or (kind, name) in first and first[(kind, name)] <= line:
            return
        first[(kind, name)] = line

    for rec in _program_records(result):
        note("program", rec.program, rec.line)
    basis: dict[str, str] = {}
    for c in result.citations:
        note("strategy", c.strategy, c.line)
        basis.setdefault(c.strategy, c.basis_kind)
    for o in result.organizations:
        note("organization", o.organization, o.line)
    for f in result.flows:
        for name in (f.from_org, f.to_org):
            if name not in ("国", "政府") and not is_generic(name):
                note("organization", name, f.line)
    rows = []
    for (kind, name), line in first.items():
        if lookup(registry, kind, name) is not None:
            continue
        rows.append(UnresolvedRow(result.doc, line, kind, name, proposed_entry(kind, name, basis.get(name))))
    rows.sort(key=lambda r: (r.kind, r.line, r.name))
    return rows


FRAME_FIGURE = "figure on a web copy's frame line (出典, 公開元URL …): not read as an amount"


def _frame_figures(doc, frame_lines: list[int]) -> list[ReportRow]:
    """A yen figure printed on a site-frame line is reported, never silently dropped."""
    from stikg.core.normalize import fold

    return [ReportRow(doc.doc_id, i + 1, doc.lines[i].printed.strip(), FRAME_FIGURE)
            for i in frame_lines if yen_matches(fold(doc.lines[i].printed.replace("**", "")))]
