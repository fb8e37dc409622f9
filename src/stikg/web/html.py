"""HTML for people: entity pages, the source viewer and the not-found page.

Every string that comes from the data (labels, literals, IRIs, quotes, document lines) goes
through :func:`esc` (``html.escape`` with quotes). Pages carry no inline script or style, so a
Content-Security-Policy of ``default-src 'self'`` holds: the look comes from
``/static/ld/ld.css``.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from stikg.rdf.vocab import STIKG_NS as STIKG
from stikg.sparql import Term, compact_iri, standard_prefixes
from stikg.web.http import Response

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS_TITLE = "http://purl.org/dc/terms/title"
LABELS = (RDFS_LABEL, SKOS + "prefLabel", DCTERMS_TITLE)
STAGE_ORDER = ("request", "budget_draft", "budget", "supplementary", "fund", "other")
STAGE_NAMES = {
    "request": "要求・要望額 request", "budget_draft": "予算額（案） draft", "budget": "予算額 enacted",
    "supplementary": "補正予算額 supplementary", "fund": "基金 fund", "other": "その他 other",
}
CSS = "/static/ld/ld.css"
ALTERNATES = (("ttl", "Turtle", "text/turtle"), ("jsonld", "JSON-LD", "application/ld+json"),
              ("nt", "N-Triples", "application/n-triples"))

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"

TermTriple = tuple[Term, Term, Term]
Linker = Callable[[str], str | None]


def esc(value: object) -> str:
    """HTML-escape anything (quotes too, so the result is safe inside attribute values)."""
    return html.escape(str(value), quote=True)


def secure(response: Response) -> Response:
    """Add the security headers (without overriding what a handler set)."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def secure_json(data: Any, status: int = 200) -> Response:
    """A JSON response (indented, UTF-8) with the security headers and ``Vary: Accept``."""
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    return secure(Response(status, body, "application/json; charset=utf-8", {"Vary": "Accept"}))


def html_page(text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """An HTML response with the security headers."""
    return secure(Response(status, text.encode("utf-8"), "text/html; charset=utf-8", dict(headers or {})))


_MARKUP = re.compile(r"\*\*|__")


def clean_quote(text: str) -> str:
    """A source line as a quote: the Markdown emphasis marks (``**``, ``__``) of the text file dropped."""
    return _MARKUP.sub("", text).strip()


def doc_label(document_iri: str, graph: Graph | None = None, labels: Mapping[str, str] | None = None) -> str:
    """A source document by its title (ja), never by its hashed file name when the title is known."""
    if labels and document_iri in labels:
        return labels[document_iri]
    if graph is not None and graph.labels(document_iri):
        return graph.label(document_iri)
    return stem_of(document_iri)


def source_link(document_iri: str, line: object, title: str, width: int = 30) -> str:
    """``title L12`` linked to the line in the source viewer (a long title shortened, whole in the tooltip)."""
    href = f"/source/{quote(stem_of(document_iri))}#L{quote(str(line))}"
    shown = title if len(title) <= width else title[: width - 1] + "…"
    return (f'<a class="src" href="{esc(href)}" title="{esc(title)} ({esc(stem_of(document_iri))}) line {esc(line)}">'
            f"{esc(shown)} L{esc(line)}</a>")


# ------------------------------------------------------------------------------------ layout


def layout(title: str, body: str, *, lang: str = "ja", head: str = "") -> str:
    """A whole page: header with the site's links, ``body`` inside <main>."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} — stikg</title>\n"
        f'<link rel="stylesheet" href="{CSS}">\n{head}</head>\n<body class="ld">\n'
        '<header class="site"><a class="home" href="/">stikg</a>'
        '<nav><a href="/program/">事業 programmes</a> · <a href="/strategy/">戦略 strategies</a> · '
        '<a href="/organization/">組織 organisations</a> · <a href="/hub/">拠点 hubs</a> · '
        '<a href="/document/">文書 documents</a> · <a href="/">SPARQL</a> · <a href="/ontology">ontology</a> · '
        '<a href="/dataset">dataset (VoID)</a> · <a href="/dumps/dataset.nq">dump</a></nav>'
        '<form class="search" action="/search" method="get" role="search">'
        '<input type="search" name="q" placeholder="検索 search: Q-LEAP, 科研費 …" aria-label="search">'
        '<button type="submit">検索</button></form></header>\n'
        f"<main>\n{body}\n</main>\n"
        '<footer class="site">出典：文部科学省ウェブサイト / Source: MEXT website · '
        "政府標準利用規約（第2.0版）/ CC BY 4.0 compatible</footer>\n"
        "</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------- graph helpers


@dataclass
class Graph:
    """The triples of a description, indexed by subject (IRIs and literals as :class:`Term`)."""

    triples: Sequence[TermTriple]
    by_subject: dict[str, list[tuple[str, Term]]] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)  # readable labels of facts, evidence, documents

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[str, Term]]] = defaultdict(list)
        for s, p, o in self.triples:
            index[s.value].append((p.value, o))
        self.by_subject = {k: sorted(set(v), key=lambda po: (po[0], po[1].value, po[1].lang or ""))
                           for k, v in index.items()}

    def objects(self, subject: str, predicate: str) -> list[Term]:
        return [o for p, o in self.by_subject.get(subject, ()) if p == predicate]

    def value(self, subject: str, predicate: str) -> Term | None:
        values = self.objects(subject, predicate)
        return values[0] if values else None

    def text(self, subject: str, predicate: str) -> str:
        value = self.value(subject, predicate)
        return value.value if value is not None else ""

    def labels(self, iri: str) -> dict[str, str]:
        """Labels by language ('' for untagged), from rdfs:label, skos:prefLabel, dcterms:title."""
        out: dict[str, str] = {}
        for predicate in LABELS:
            for o in self.objects(iri, predicate):
                if o.type == "literal":
                    out.setdefault(o.lang or "", o.value)
        return out

    def label(self, iri: str) -> str:
        labels = self.labels(iri)
        for lang in ("ja", "en", ""):
            if lang in labels:
                return labels[lang]
        if iri in self.extra:
            return self.extra[iri]
        for predicate in (SKOS + "notation", STIKG + "fileName"):
            if self.value(iri, predicate) is not None:
                return self.text(iri, predicate)
        return compact_iri(iri, standard_prefixes())

    def subjects_with(self, predicate: str, obj: str) -> list[str]:
        return sorted(s for s, pos in self.by_subject.items() if any(p == predicate and o.value == obj for p, o in pos))


def link(iri: str, graph: Graph, linker: Linker, text: str | None = None) -> str:
    """An <a> to the served page of ``iri`` (or to the IRI itself when we do not serve it)."""
    label = text if text is not None else graph.label(iri)
    href = linker(iri) or iri
    return f'<a href="{esc(href)}" title="{esc(iri)}">{esc(label)}</a>'


def term_html(term: Term, graph: Graph, linker: Linker) -> str:
    if term.type == "uri":
        return link(term.value, graph, linker)
    if term.type == "bnode":
        return f"<code>_:{esc(term.value)}</code>"
    out = f'<span lang="{esc(term.lang)}">{esc(term.value)}</span>' if term.lang else esc(term.value)
    if term.lang:
        out += f' <span class="tag">@{esc(term.lang)}</span>'
    elif term.datatype:
        out += f' <span class="tag">{esc(compact_iri(term.datatype, standard_prefixes()))}</span>'
    return out


def yen(value: str) -> str:
    """``1234500000`` → ``1,234,500,000円 (12.3億円)``."""
    try:
        amount = int(value)
    except ValueError:
        return esc(value)
    text = f"{amount:,}円"
    if abs(amount) >= 100_000_000:
        text += f" ({amount / 100_000_000:,.1f}億円)"
    return esc(text)


def stem_of(document_iri: str) -> str:
    return document_iri.rstrip("/").rsplit("/", 1)[-1]


def evidence_html(fact: str, graph: Graph, linker: Linker) -> str:
    """The fact's evidence: quote, linked to its line in the source viewer."""
    items = []
    for ev in sorted(o.value for o in graph.objects(fact, STIKG + "hasEvidence")):
        doc = graph.text(ev, STIKG + "sourceDocument")
        line = graph.text(ev, STIKG + "line")
        quote_text = graph.text(ev, STIKG + "quote")
        if not doc or not line:
            items.append(link(ev, graph, linker, "evidence"))
            continue
        items.append(
            f"<li>{source_link(doc, line, doc_label(doc, graph, graph.extra))} "
            f'<q lang="ja">{esc(clean_quote(quote_text))}</q> <a class="ev" href="{esc(linker(ev) or ev)}">#</a></li>'
        )
    if not items:
        doc_iri = graph.text(fact, STIKG + "reportedIn")
        return link(doc_iri, graph, linker) if doc_iri else ""
    return '<ul class="evidence">' + "".join(items) + "</ul>"


# ------------------------------------------------------------------------------- entity page


def facts_of(graph: Graph, subject: str, cls: str) -> list[str]:
    """Facts (allocations, citations, …) about the program ``subject`` of class ``cls``."""
    facts = set(graph.subjects_with(STIKG + "forProgram", subject))
    facts |= set(graph.subjects_with(STIKG + "citingProgram", subject))
    return sorted(f for f in facts if any(t.value == STIKG + cls for t in graph.objects(f, RDF_TYPE)))


def amounts_section(graph: Graph, subject: str, linker: Linker) -> str:
    allocations = facts_of(graph, subject, "BudgetAllocation")
    if not allocations:
        return ""
    cells: dict[tuple[int, str], list[str]] = defaultdict(list)
    stages_seen: set[str] = set()
    for fact in allocations:
        year_text = graph.text(fact, STIKG + "fiscalYear")
        year = int(year_text) if re.fullmatch(r"-?\d+", year_text) else 0
        stage_iri = graph.text(fact, STIKG + "budgetStage")
        stage = graph.text(stage_iri, SKOS + "notation") or stage_iri.rsplit("stage-", 1)[-1]
        stages_seen.add(stage)
        partial = graph.text(fact, STIKG + "isPartial") == "true"
        amount = graph.text(fact, STIKG + "amountYen")
        printed = graph.text(fact, STIKG + "amountText")
        extra = []
        if partial:
            extra.append('<span class="partial" title="の内数: part of a larger printed amount">の内数</span>')
        if graph.text(fact, STIKG + "isNew") == "true":
            extra.append('<span class="new">新規</span>')
        if graph.text(fact, STIKG + "supplementaryRound"):
            extra.append(f'<span class="tag">第{esc(graph.text(fact, STIKG + "supplementaryRound"))}次</span>')
        if graph.text(fact, STIKG + "fundYears"):
            extra.append(f'<span class="tag">{esc(graph.text(fact, STIKG + "fundYears"))}年間</span>')
        cells[(year, stage)].append(
            f'<div class="alloc"><a class="amount" href="{esc(linker(fact) or fact)}">'
            f"{yen(amount) if amount else esc(printed)}</a> "
            f'<span class="printed">{esc(printed)}</span> {" ".join(extra)}'
            f"{evidence_html(fact, graph, linker)}</div>"
        )
    stages = [s for s in STAGE_ORDER if s in stages_seen] + sorted(stages_seen - set(STAGE_ORDER))
    head = "".join(f"<th>{esc(STAGE_NAMES.get(s, s))}</th>" for s in stages)
    rows = []
    for year in sorted({y for y, _ in cells}):
        tds = "".join(f'<td class="num">{"".join(cells.get((year, s), []))}</td>' for s in stages)
        rows.append(f"<tr><th>FY{year}</th>{tds}</tr>")
    return (
        '<section id="amounts"><h2>年度別・段階別の金額 <span class="en">Amounts by fiscal year and stage</span></h2>'
        f'<table class="amounts"><thead><tr><th>年度 FY</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        '<p class="note"><span class="partial">の内数</span> = the amount is part of (の内数) a larger printed '
        "amount, not the programme's own total.</p></section>"
    )


def fact_table(graph: Graph, facts: list[str], columns: Sequence[tuple[str, Callable[[str], str]]],
               anchor: str, title: str) -> str:
    if not facts:
        return ""
    head = "".join(f"<th>{esc(name)}</th>" for name, _ in columns)
    rows = "".join("<tr>" + "".join(f"<td>{render(f)}</td>" for _, render in columns) + "</tr>" for f in facts)
    return f'<section id="{esc(anchor)}"><h2>{title}</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>'


def program_sections(graph: Graph, subject: str, linker: Linker) -> str:
    def obj(predicate: str) -> Callable[[str], str]:
        def render(fact: str) -> str:
            return ", ".join(term_html(o, graph, linker) for o in graph.objects(fact, predicate))
        return render

    def ev(fact: str) -> str:
        return evidence_html(fact, graph, linker)

    def fact_link(fact: str) -> str:
        return link(fact, graph, linker, "詳細 details")

    citations = fact_table(graph, facts_of(graph, subject, "Citation"), [
        ("戦略 strategy", obj(STIKG + "citedStrategy")), ("as printed", obj(STIKG + "strategyText")),
        ("決定日 decided", obj(STIKG + "printedDecisionDate")), ("決定主体 by", obj(STIKG + "printedDecisionBody")),
        ("根拠 evidence", ev), ("", fact_link),
    ], "citations", '引用する戦略 <span class="en">Citations</span>')
    roles = fact_table(graph, facts_of(graph, subject, "OrganizationRole"), [
        ("組織 organisation", obj(STIKG + "organization")), ("役割 role", obj(STIKG + "role")),
        ("as printed", obj(STIKG + "printedName")), ("根拠 evidence", ev), ("", fact_link),
    ], "roles", '組織の役割 <span class="en">Roles</span>')
    flows = fact_table(graph, facts_of(graph, subject, "FundingFlow"), [
        ("from", obj(STIKG + "fromOrganization")), ("to", obj(STIKG + "toOrganization")),
        ("形態 instrument", obj(STIKG + "fundingInstrument")), ("根拠 evidence", ev), ("", fact_link),
    ], "flows", '資金の流れ <span class="en">Funding flows</span>')
    periods = fact_table(graph, facts_of(graph, subject, "ProgramPeriod"), [
        ("開始 start FY", obj(STIKG + "startFiscalYear")), ("終了 end FY", obj(STIKG + "endFiscalYear")),
        ("根拠 evidence", ev), ("", fact_link),
    ], "periods", '事業期間 <span class="en">Periods</span>')
    return amounts_section(graph, subject, linker) + citations + roles + flows + periods


def comment_kind(graph: Graph, subject: str) -> str:
    """What an rdfs:comment of ``subject`` is: the printed text of a period, the extractor's note on
    an amount, else the curator's note of the registry or catalog."""
    types = {o.value for o in graph.objects(subject, RDF_TYPE)}
    if STIKG + "ProgramPeriod" in types:
        return "記載 as printed in the source"
    if STIKG + "BudgetAllocation" in types or STIKG + "AmountFact" in types:
        return "抽出メモ extractor note (not from the source)"
    return "編集注 curator note (not from the source)"


def properties_table(graph: Graph, subject: str, linker: Linker) -> str:
    grouped: dict[str, list[Term]] = defaultdict(list)
    for p, o in graph.by_subject.get(subject, ()):
        grouped[p].append(o)
    rows = []
    prefixes = standard_prefixes()
    for p in sorted(grouped, key=lambda x: (x != RDF_TYPE, compact_iri(x, prefixes))):
        values = "<br>".join(term_html(o, graph, linker) for o in grouped[p])
        name = compact_iri(p, prefixes)
        if p == RDFS_COMMENT:  # a note, labelled for what it is: never shown as a public description
            values = f'<span class="note">{esc(comment_kind(graph, subject))}:</span> ' + values
        rows.append(f'<tr><th><a href="{esc(linker(p) or p)}" title="{esc(p)}">{esc(name)}</a></th><td>{values}</td></tr>')
    return ('<section id="properties"><h2>すべての記述 <span class="en">All statements</span></h2>'
            f'<table class="props"><tbody>{"".join(rows)}</tbody></table></section>')


def incoming_section(rows: Iterable[tuple[str, str, str]], linker: Linker, total: int, limit: int,
                     labels: Mapping[str, str] | None = None) -> str:
    """Who links here: one line per subject (its properties as tags, so nothing is listed twice)."""
    items = []
    prefixes = standard_prefixes()
    grouped: dict[str, tuple[str, list[str]]] = {}
    for s, p, label in rows:
        name, props = grouped.setdefault(s, (label or (labels or {}).get(s) or compact_iri(s, prefixes), []))
        props.append(compact_iri(p, prefixes))
    for s, (name, props) in grouped.items():
        tags = " ".join(f'<span class="tag">{esc(p)}</span>' for p in sorted(set(props)))
        items.append(f'<li><a href="{esc(linker(s) or s)}" title="{esc(s)}">{esc(name)}</a> {tags}</li>')
    if not items:
        return ""
    more = f"<p>… and {total - limit} more (use the SPARQL endpoint).</p>" if total > limit else ""
    return ('<section id="incoming"><h2>参照元 <span class="en">Referenced by</span></h2>'
            f'<ul class="incoming">{"".join(items)}</ul>{more}</section>')


def entity_page(iri: str, path: str, triples: Sequence[TermTriple], linker: Linker,
                incoming: Sequence[tuple[str, str, str]] = (), incoming_total: int = 0,
                incoming_limit: int = 300, *, summary: str = "", labels: Mapping[str, str] | None = None) -> str:
    """The page of one entity: labels, types, ``summary`` (HTML made by :mod:`stikg.web.summaries`),
    its facts (programs), all statements, incoming links. ``labels`` names facts, evidence and
    documents the triples do not label (so no hashed IRI is shown as a name)."""
    graph = Graph(triples, extra=dict(labels or {}))
    labels = graph.labels(iri)
    title = graph.label(iri)
    types = [o.value for o in graph.objects(iri, RDF_TYPE)]
    own_types = [t for t in types if t.startswith(STIKG)] or types
    parts = [f'<h1 lang="ja">{esc(labels.get("ja") or title)}</h1>']
    if labels.get("en"):
        parts.append(f'<p class="en title" lang="en">{esc(labels["en"])}</p>')
    parts.append(f'<p class="iri"><code>{esc(iri)}</code></p>')
    if own_types:
        parts.append('<p class="types">' + " ".join(link(t, graph, linker) for t in sorted(own_types)) + "</p>")
    formats = " · ".join(f'<a href="{esc(path)}.{ext}" type="{mt}">{name}</a>' for ext, name, mt in ALTERNATES)
    parts.append(f'<p class="formats">Also as {formats}</p>')
    if summary:
        parts.append(summary)
    if STIKG + "Program" in types:
        parts.append(program_sections(graph, iri, linker))
    if graph.objects(iri, STIKG + "hasEvidence"):
        parts.append('<section id="evidence"><h2>根拠 <span class="en">Evidence</span></h2>'
                     f"{evidence_html(iri, graph, linker)}</section>")
    if STIKG + "Evidence" in types:
        doc = graph.text(iri, STIKG + "sourceDocument")
        line = graph.text(iri, STIKG + "line")
        if doc and line:
            parts.append(f'<blockquote lang="ja">{esc(clean_quote(graph.text(iri, STIKG + "quote")))}</blockquote>'
                         f"<p>{source_link(doc, line, doc_label(doc, graph, graph.extra))}</p>")
    if STIKG + "SourceDocument" in types:
        parts.append(f'<p><a class="src" href="/source/{esc(quote(stem_of(iri)))}">全文 / full text</a></p>')
    parts.append(properties_table(graph, iri, linker))
    parts.append(incoming_section(incoming, linker, incoming_total, incoming_limit, graph.extra))
    head = "".join(f'<link rel="alternate" type="{mt}" href="{esc(path)}.{ext}">\n' for ext, _, mt in ALTERNATES)
    return layout(title, "\n".join(p for p in parts if p), head=head)


# ------------------------------------------------------------------------------ source view


def source_page(stem: str, title: str, lines: Sequence[str], document_path: str | None) -> str:
    """The whole document with line numbers; each line is an anchor ``L<n>`` (CSS :target marks it)."""
    body = [f'<h1 lang="ja">{esc(title or stem)}</h1>',
            f'<p class="iri"><code>{esc(stem)}.txt</code> · {len(lines)} lines'
            + (f' · <a href="{esc(document_path)}">document page</a>' if document_path else "") + "</p>",
            '<ol class="source">']
    for number, text in enumerate(lines, start=1):
        body.append(f'<li id="L{number}"><a class="ln" href="#L{number}">{number}</a>'
                    f'<span class="line">{esc(text)}</span></li>')
    body.append("</ol>")
    return layout(f"{stem} (source)", "\n".join(body))


# ---------------------------------------------------------------------------- not found


def not_found_page(path: str, suggestions: Sequence[tuple[str, str]] = (), kinds: Mapping[str, str] | None = None) -> str:
    """A helpful 404: what was asked, similar IRIs we do serve, how to search."""
    items = "".join(f'<li><a href="{esc(href)}">{esc(label)}</a> <code>{esc(href)}</code></li>'
                    for href, label in suggestions)
    kind_items = "".join(f"<li><code>{esc(k)}</code> — {esc(v)}</li>" for k, v in (kinds or {}).items())
    body = [
        '<h1>見つかりません <span class="en">Not found</span></h1>',
        f'<p>No entity or page is published at <code>{esc(path)}</code>.</p>',
    ]
    if items:
        body.append(f'<h2>もしかして <span class="en">Did you mean</span></h2><ul>{items}</ul>')
    body.append(
        '<h2>探し方 <span class="en">How to find it</span></h2><ul>'
        "<li>Entity IRIs use the registry's ids (lower case, hyphens), e.g. <code>/program/kakenhi</code>; "
        "programmes and organisations the registry does not know have <code>x-</code> ids.</li>"
        '<li>Search by name on the <a href="/">SPARQL query page</a>, e.g. '
        "<code>SELECT ?s WHERE { ?s rdfs:label ?l FILTER(CONTAINS(?l, \"科研費\")) }</code>.</li>"
        '<li>Browse the <a href="/ontology">ontology</a>, the <a href="/dataset">dataset description</a> '
        'or download the <a href="/dumps/dataset.nq">dump</a>.</li></ul>'
    )
    if kind_items:
        body.append(f'<h2>IRI patterns</h2><ul>{kind_items}</ul>')
    return layout("Not found", "\n".join(body))


def message_page(title: str, message: str) -> str:
    return layout(title, f"<h1>{esc(title)}</h1><p>{esc(message)}</p>")
