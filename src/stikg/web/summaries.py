"""The summaries entity pages show before their triple tables, from the server's Snapshot.

* strategy: its kind, decision date and deciding body, the editions of its series, a link to its
  lineage view, and the programmes citing it (each once) with their amounts by fiscal year and
  stage — the selected, deduplicated figures (``stikg:isSelectedFigure``), totals by
  :func:`stikg.rdf.budget_facts.totals`, the rule of the library's ``strategy_request_totals``;
* organisation: its parent and units, the programmes it funds, runs, manages, hosts or receives
  from (one row per programme, its relations as tags), its flows and hubs, the documents it issued;
* programme: a budget-over-years chart (inline SVG: one bar per stage, の内数 hatched and marked),
  the figures totals use, parents, sub-programmes, predecessors, successors, strategies, hubs;
* document: title, issuer, date, fiscal year, kind, the original URL the catalog knows, and what
  was extracted from it; hub: host and programme.

Every amount names its fiscal year and stage; every fact links to its evidence by document title
and line. Everything from the data is escaped (:func:`stikg.web.html.esc`); no script, no style
attribute (the CSP holds): the look is ``/static/ld/ld.css``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from stikg.web.html import STAGE_NAMES, STAGE_ORDER, esc, source_link
from stikg.web.snapshot import ROLE_NAMES, STAGE_SHORT, STIKG, Budget, Snapshot

Linker = Callable[[str], str | None]
ORG = "http://www.w3.org/ns/org#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
CITATION, ROLE, FLOW = STIKG + "Citation", STIKG + "OrganizationRole", STIKG + "FundingFlow"
SHORTCUTS = {"fundedBy": "funding_agency", "implementedBy": "implementer", "managedBy": "bureau"}


def oku(yen: int) -> str:
    """``12,345,000,000円`` → ``123.5億円`` (short, for tables and the chart)."""
    if abs(yen) >= 100_000_000:
        return f"{yen / 100_000_000:,.1f}億円"
    if abs(yen) >= 10_000:
        return f"{yen / 10_000:,.0f}万円"
    return f"{yen:,}円"


def _stage_key(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


class Summaries:
    """Render summaries from ``snapshot``; ``linker`` maps an IRI to its path on this server."""

    def __init__(self, snapshot: Snapshot, linker: Linker):
        self.s = snapshot
        self.linker = linker

    # -- helpers

    def a(self, iri: str, text: str | None = None) -> str:
        href = self.linker(iri) or iri
        return f'<a href="{esc(href)}" title="{esc(iri)}">{esc(text if text is not None else self.s.label(iri))}</a>'

    def evidence(self, facts: Iterable[str], limit: int = 3) -> str:
        seen: list[tuple[str, int]] = []
        for fact in facts:
            for _, doc, line in self.s.evidence_of(fact):
                if (doc, line) not in seen:
                    seen.append((doc, line))
        links = [source_link(doc, line, self.s.label(doc)) for doc, line in seen[:limit]]
        more = f' <span class="tag">+{len(seen) - limit}</span>' if len(seen) > limit else ""
        return '<span class="evs">' + " ".join(links) + more + "</span>"

    def budget_evidence(self, budget: Budget) -> str:
        if budget.line is None:
            return ""
        return source_link(budget.document, budget.line, self.s.label(budget.document))

    def links_list(self, iris: Iterable[str]) -> str:
        items = sorted(set(iris), key=lambda i: (self.s.label(i), i))
        return ", ".join(self.a(i) for i in items)

    @staticmethod
    def dl(rows: list[tuple[str, str]]) -> str:
        body = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows if value)
        return f'<dl class="summary">{body}</dl>' if body else ""

    def cell(self, budgets: list[Budget]) -> str:
        """One programme's selected figure(s) for a year and stage (rounds add up), with evidence."""
        if not budgets:
            return ""
        whole = [b for b in budgets if not b.partial]
        yen = sum(b.amount_yen for b in (whole or budgets))
        partial = not whole
        mark = ' <span class="partial" title="の内数: part of a larger amount, never added">の内数</span>' if partial else ""
        ev = " ".join(self.budget_evidence(b) for b in budgets)
        return (f'<span class="amount" data-yen="{yen}" title="{yen:,}円">{esc(oku(yen))}</span>{mark}'
                f'<br><span class="evs">{ev}</span>')

    # -- pages

    def render(self, iri: str, kind: str) -> str:
        """The summary of ``iri`` (an entity of ``kind``), or "" when the snapshot does not know it."""
        if iri not in self.s.entities:
            return ""
        render = {"strategy": self.strategy, "organization": self.organization, "program": self.program,
                  "document": self.document, "hub": self.hub}.get(kind)
        return render(iri) if render else ""

    def strategy(self, iri: str) -> str:
        s = self.s
        entity = s.entities[iri]
        types = sorted(entity.types - {"Strategy", "PolicyBasis"}) or sorted(entity.types)
        kind = s.attr_text(iri, "strategyType") or ", ".join(types)
        deciders = s.objects(iri, "decidedBy")
        series = s.series(iri)
        editions = ""
        if len(series) > 1:
            items = []
            for edition in series:
                date = s.attr_text(edition, "decisionDate")
                count = len(s.citing(edition))
                name = f"<strong>{esc(s.label(edition))}</strong>" if edition == iri else self.a(edition)
                items.append(f"<li>{name} <span class=\"tag\">{esc(date)}</span> "
                             f'<span class="tag">{count} citing programmes</span></li>')
            editions = f'<ol class="editions">{"".join(items)}</ol>'
        lineage = "/lineage?" + urlencode({"strategy": entity.slug})
        facts = self.dl([
            ("種類 kind", esc(kind)),
            ("決定日 decided", esc(", ".join(str(t.value) for t in s.attr(iri, "decisionDate")))),
            ("決定主体 decided by", self.links_list(deciders)),
            ("版 edition", esc(s.attr_text(iri, "editionYear"))),
            ("各版 editions", editions),
            ("系譜 lineage", f'<a class="lineage" href="{esc(lineage)}">事業・資金の系譜を見る lineage view</a>'),
        ])
        return (f'<section id="summary" class="summary"><h2>概要 <span class="en">Summary</span></h2>{facts}</section>'
                + self.citing_programs(iri))

    def citing_programs(self, iri: str) -> str:
        s = self.s
        programs = s.citing(iri)
        if not programs:
            return ('<section id="programs"><h2>引用する事業 <span class="en">Programmes citing it</span></h2>'
                    '<p class="empty">No programme in the graph cites it.</p></section>')
        members = set(s.strategy_members(iri)) or set(programs)
        columns = sorted({(b.fiscal_year, b.stage) for p in programs for b in s.selected(p)},
                         key=lambda c: (-c[0], _stage_key(c[1])))
        head = "".join(f'<th class="num" data-fy="{fy}" data-stage="{esc(st)}">FY{fy}<br>'
                       f"{esc(STAGE_NAMES.get(st, st))}</th>" for fy, st in columns)
        rows = []
        for program in sorted(programs, key=lambda p: (s.label(p), p)):
            by_column: dict[tuple[int, str], list[Budget]] = defaultdict(list)
            for b in s.selected(program):
                by_column[(b.fiscal_year, b.stage)].append(b)
            cells = []
            for column in columns:
                budgets = by_column.get(column, [])
                inside = sorted({a for b in budgets for a in b.included_in if a in members})
                note = (f'<br><span class="included">含 included in {self.links_list(inside)}</span>' if inside else "")
                cells.append(f'<td class="num">{self.cell(budgets)}{note}</td>')
            citations = [f.iri for f in s.by_program.get(program, ()) if f.type == CITATION and iri in (f.a, f.c)]
            rows.append(f'<tr data-program="{esc(program)}"><th>{self.a(program)}</th>'
                        f"<td>{self.evidence(citations, 2)}</td>{''.join(cells)}</tr>")
        foot = []
        for fy, stage in columns:
            t = s.totals(members, fy, stage)
            total = int(str(t["total_yen"]))
            partial = f'<br><span class="tag">+{t["partial_programs"]} の内数</span>' if t["partial_programs"] else ""
            foot.append(f'<td class="num total" data-fy="{fy}" data-stage="{esc(stage)}" data-yen="{total}">'
                        f'<span title="{total:,}円">{esc(oku(total))}</span>'
                        f'<br><span class="tag">{t["programs"]} programmes</span>{partial}</td>')
        table = (f'<div class="scroll"><table class="programs"><thead><tr><th>事業 programme</th><th>引用 cited at</th>'
                 f'{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
                 f'<tfoot><tr><th colspan="2">合計 total (deduplicated)</th>{"".join(foot)}</tr></tfoot></table></div>')
        return ('<section id="programs"><h2>引用する事業と金額 <span class="en">Programmes citing it, with their amounts'
                f"</span></h2><p>{len(programs)} programmes.</p>{table}"
                '<p class="note">Each amount is the one figure per programme, fiscal year and stage that totals use '
                "(stikg:isSelectedFigure: the largest when documents disagree). The total adds each programme once; a "
                "sub-programme included in a citing parent's budget (含) is not added again; "
                '<span class="partial">の内数</span> amounts are part of a larger amount and never added. '
                'The same rule as the library query <a href="/library/strategy_request_totals">strategy_request_totals'
                "</a>.</p></section>")

    def organization(self, iri: str) -> str:
        s = self.s
        entity = s.entities[iri]
        relations: dict[str, set[str]] = defaultdict(set)
        facts: dict[str, list[str]] = defaultdict(list)
        for fact in s.facts.values():
            if fact.type == ROLE and fact.a == iri:
                relations[fact.program].add(fact.b)
                facts[fact.program].append(fact.iri)
            elif fact.type == FLOW and iri in (fact.a, fact.c):
                relations[fact.program].add("funding_agency" if fact.a == iri else "recipient")
                facts[fact.program].append(fact.iri)
        for prop, role in SHORTCUTS.items():
            for program in s.subjects(prop, iri):
                relations[program].add(role)
        hubs = s.subjects("hostedBy", iri)
        for hub in hubs:
            for program in s.objects(hub, "hubOfProgram"):
                relations[program].add("host")
        types = sorted(t for t in entity.types if t != "Organization") or ["Organization"]
        docs = s.subjects(DCTERMS + "publisher", iri)
        summary = self.dl([
            ("種類 type", esc(", ".join(types))),
            ("上位組織 part of", self.links_list(s.objects(iri, ORG + "subOrganizationOf"))),
            ("下部組織 units", self.links_list(s.subjects(ORG + "subOrganizationOf", iri))),
            ("拠点 hubs hosted", self.links_list(hubs)),
            ("発行文書 documents issued", self.links_list(docs)),
            ("別名 also known as", esc(" · ".join(entity.aliases))),
        ])
        parts = [f'<section id="summary" class="summary"><h2>概要 <span class="en">Summary</span></h2>{summary}</section>']
        if relations:
            counts: dict[str, int] = defaultdict(int)
            rows = []
            for program in sorted(relations, key=lambda p: (s.label(p), p)):
                roles = sorted(relations[program], key=lambda r: list(ROLE_NAMES).index(r) if r in ROLE_NAMES else 99)
                for r in roles:
                    counts[r] += 1
                tags = " ".join(f'<span class="role role-{esc(r)}">{esc(ROLE_NAMES.get(r, r))}</span>' for r in roles)
                rows.append(f"<tr><th>{self.a(program)}</th><td>{tags}</td><td>{self.evidence(facts.get(program, []))}</td></tr>")
            tally = " · ".join(f"{esc(ROLE_NAMES.get(r, r))}: {n}" for r, n in counts.items())
            parts.append('<section id="programs"><h2>事業との関わり <span class="en">Programmes it funds, runs, hosts '
                         f'or receives from</span></h2><p>{len(relations)} programmes ({tally}).</p>'
                         '<table class="programs"><thead><tr><th>事業 programme</th><th>関わり relation</th>'
                         f'<th>根拠 evidence</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>')
        flows = [f for f in s.facts.values() if f.type == FLOW and iri in (f.a, f.c)]
        if flows:
            rows = [f"<tr><td>{self.a(f.a)}</td><td>→</td><td>{self.a(f.c)}</td><td>{esc(f.b or 'other')}</td>"
                    f"<td>{self.a(f.program)}</td><td>{self.evidence([f.iri], 2)}</td></tr>"
                    for f in sorted(flows, key=lambda f: (s.label(f.program), f.iri))]
            parts.append('<section id="org-flows"><h2>資金の流れ <span class="en">Funding flows</span></h2>'
                         '<table><thead><tr><th>from</th><th></th><th>to</th><th>形態 instrument</th><th>事業 programme</th>'
                         f'<th>根拠 evidence</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>')
        return "".join(parts)

    def program(self, iri: str) -> str:
        s = self.s
        entity = s.entities[iri]
        parents = set(s.objects(iri, "subProgramOf")) | set(s.subjects("hasSubProgram", iri))
        children = set(s.subjects("subProgramOf", iri)) | set(s.objects(iri, "hasSubProgram"))
        before = set(s.objects(iri, "predecessor")) | set(s.subjects("successor", iri))
        after = set(s.objects(iri, "successor")) | set(s.subjects("predecessor", iri))
        strategies = {f.c or f.a for f in s.by_program.get(iri, ()) if f.type == CITATION}
        orgs: dict[str, set[str]] = defaultdict(set)
        for f in s.by_program.get(iri, ()):
            if f.type == ROLE:
                orgs[f.a].add(f.b)
        for prop, role in SHORTCUTS.items():
            for org in s.objects(iri, prop):
                orgs[org].add(role)
        org_items = ", ".join(
            f"{self.a(o)} <span class=\"tag\">{esc(' / '.join(ROLE_NAMES.get(r, r) for r in sorted(rs)))}</span>"
            for o, rs in sorted(orgs.items(), key=lambda kv: (s.label(kv[0]), kv[0])))
        summary = self.dl([
            ("別名 also known as", esc(" · ".join(entity.aliases))),
            ("上位事業 part of", self.links_list(parents)),
            ("内訳事業 sub-programmes", self.links_list(children)),
            ("前身 predecessors", self.links_list(before)),
            ("後継 successors", self.links_list(after)),
            ("根拠とする戦略 strategies cited", self.links_list(strategies)),
            ("組織 organisations", org_items),
            ("拠点 hubs", self.links_list(s.subjects("hubOfProgram", iri))),
        ])
        parts = [f'<section id="summary" class="summary"><h2>概要 <span class="en">Summary</span></h2>{summary}</section>']
        selected = s.selected(iri)
        if selected:
            parts.append('<section id="budget"><h2>予算の推移 <span class="en">Budget over the years</span></h2>'
                         + budget_chart(selected) + self.selected_table(selected) + "</section>")
        return "".join(parts)

    def selected_table(self, budgets: list[Budget]) -> str:
        cells: dict[tuple[int, str], list[Budget]] = defaultdict(list)
        for b in budgets:
            cells[(b.fiscal_year, b.stage)].append(b)
        stages = sorted({b.stage for b in budgets}, key=_stage_key)
        head = "".join(f"<th>{esc(STAGE_NAMES.get(st, st))}</th>" for st in stages)
        rows = []
        for year in sorted({b.fiscal_year for b in budgets}, reverse=True):
            tds = "".join(f'<td class="num">{self.cell(cells.get((year, st), []))}</td>' for st in stages)
            rows.append(f"<tr><th>FY{year}</th>{tds}</tr>")
        return ('<table class="amounts selected" id="selected-figures"><thead><tr><th>年度 FY</th>'
                f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
                '<p class="note">The figure totals use for each fiscal year and stage (one per stage across documents; '
                'supplementary rounds add up). Every printed figure is listed under “Amounts by fiscal year and '
                "stage” below.</p>")

    def document(self, iri: str) -> str:
        s = self.s
        entity = s.entities[iri]
        url = s.attr_text(iri, SCHEMA + "url")
        stem = entity.slug
        counts: dict[str, int] = defaultdict(int)
        programs: dict[str, int] = defaultdict(int)
        for fact in s.facts_in.get(iri, []):
            f = s.facts.get(fact)
            if f is None:
                continue
            counts[f.type.rsplit("#", 1)[-1]] += 1
            programs[f.program] += 1
        names = {"BudgetAllocation": "金額 amounts", "Citation": "引用 citations", "OrganizationRole": "役割 roles",
                 "FundingFlow": "資金の流れ flows", "ProgramPeriod": "期間 periods"}
        extracted = " · ".join(f"{esc(names.get(k, k))}: <strong>{n}</strong>" for k, n in sorted(counts.items()))
        kind = s.doc_kind.get(iri, "")
        summary = self.dl([
            ("題名 title", f'<span lang="ja">{esc(entity.label_ja)}</span>'
             + (f'<br><span lang="en" class="en">{esc(entity.label_en)}</span>' if entity.label_en else "")),
            ("発行者 issuer", " ".join(x for x in (self.links_list(s.objects(iri, DCTERMS + "publisher")),
                                                  esc(s.attr_text(iri, "issuerText"))) if x)),
            ("発行 issued", esc(s.attr_text(iri, DCTERMS + "issued"))),
            ("年度 fiscal year", f"FY{s.doc_year[iri]}" if iri in s.doc_year else ""),
            ("種類 kind", esc(kind)),
            ("原典 original", f'<a class="original" href="{esc(url)}" rel="noreferrer">{esc(url)}</a>'
             if url.startswith(("https://", "http://")) else ""),
            ("全文 text", f'<a class="src" href="/source/{esc(stem)}">全文（行番号付き） full text with line numbers</a>'),
            ("抽出 extracted", extracted or "nothing"),
        ])
        parts = [f'<section id="summary" class="summary"><h2>概要 <span class="en">Summary</span></h2>{summary}</section>']
        if programs:
            items = "".join(f"<li>{self.a(p)} <span class=\"tag\">{n} facts</span></li>"
                            for p, n in sorted(programs.items(), key=lambda kv: (s.label(kv[0]), kv[0])))
            parts.append('<section id="doc-programs"><h2>記載された事業 <span class="en">Programmes it reports on'
                         f'</span></h2><ul class="incoming">{items}</ul></section>')
        return "".join(parts)

    def hub(self, iri: str) -> str:
        s = self.s
        summary = self.dl([
            ("設置機関 host", self.links_list(s.objects(iri, "hostedBy"))),
            ("事業 programme", self.links_list(s.objects(iri, "hubOfProgram"))),
            ("別名 also known as", esc(" · ".join(s.entities[iri].aliases))),
        ])
        return f'<section id="summary" class="summary"><h2>概要 <span class="en">Summary</span></h2>{summary}</section>'


# ------------------------------------------------------------------------------ the chart


def budget_chart(budgets: list[Budget], width: int = 720, height: int = 260) -> str:
    """An inline SVG bar chart: per fiscal year one bar per stage (selected figures, rounds added);
    の内数 bars are hatched, outlined and marked 内. No script; colours come from the stylesheet."""
    values: dict[tuple[int, str], tuple[int, bool]] = {}
    grouped: dict[tuple[int, str], list[Budget]] = defaultdict(list)
    for b in budgets:
        grouped[(b.fiscal_year, b.stage)].append(b)
    for key, items in grouped.items():
        whole = [b for b in items if not b.partial]
        values[key] = (sum(b.amount_yen for b in (whole or items)), not whole)
    years = sorted({y for y, _ in values})
    stages = sorted({st for _, st in values}, key=_stage_key)
    top = max((v for v, _ in values.values()), default=0) or 1
    left, right, bottom, upper = 64, 12, 38, 16
    plot_w, plot_h = width - left - right, height - bottom - upper
    group_w = plot_w / max(1, len(years))
    bar_w = max(4.0, min(28.0, (group_w - 10) / max(1, len(stages))))
    legend_rows = (len(stages) + 3) // 4 + (1 if any(p for _, p in values.values()) else 0)
    out = [f'<svg class="chart" id="budget-chart" role="img" viewBox="0 0 {width} {height + 24 * legend_rows}" '
           f'width="{width}" xmlns="http://www.w3.org/2000/svg" aria-labelledby="chart-title">'
           '<title id="chart-title">予算の推移 budget by fiscal year and stage</title>'
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
           '<line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>']
    for i in range(5):
        y = upper + plot_h - plot_h * i / 4
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
                   f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(oku(round(top * i / 4)))}</text>')
    for gi, year in enumerate(years):
        x0 = left + gi * group_w + (group_w - bar_w * len(stages)) / 2
        for si, stage in enumerate(stages):
            if (year, stage) not in values:
                continue
            yen, partial = values[(year, stage)]
            h = max(1.0, plot_h * yen / top)
            x, y = x0 + si * bar_w, upper + plot_h - h
            cls = f"bar stage-{esc(stage)}" + (" partial" if partial else "")
            label = f"FY{year} {STAGE_NAMES.get(stage, stage)}: {yen:,}円" + (" (の内数)" if partial else "")
            out.append(f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                       f'data-fy="{year}" data-stage="{esc(stage)}" data-yen="{yen}"><title>{esc(label)}</title></rect>')
            if partial:
                out.append(f'<text class="partial-mark" x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" '
                           'text-anchor="middle">内</text>')
        out.append(f'<text class="axis" x="{left + gi * group_w + group_w / 2:.1f}" y="{upper + plot_h + 16}" '
                   f'text-anchor="middle">FY{year}</text>')
    for si, stage in enumerate(stages):
        x, y = left + (si % 4) * 160, height + 24 * (si // 4) - 4
        out.append(f'<rect class="bar stage-{esc(stage)}" x="{x}" y="{y - 10}" width="12" height="12"/>'
                   f'<text class="legend" x="{x + 16}" y="{y}">{esc(STAGE_SHORT.get(stage, stage))}</text>')
    if any(p for _, p in values.values()):
        x, y = left, height + 24 * ((len(stages) + 3) // 4) - 4
        out.append(f'<rect class="bar partial" x="{x}" y="{y - 10}" width="12" height="12"/>'
                   f'<text class="legend" x="{x + 16}" y="{y}">内 = の内数 (part of a larger amount)</text>')
    out.append("</svg>")
    return '<figure class="chart">' + "".join(out) + "</figure>"
