"""List pages: ``/program/``, ``/strategy/``, ``/organization/``, ``/hub/``, ``/document/``.

Each list comes from the server's :class:`~stikg.web.snapshot.Snapshot` and takes

* facets (``?fiscal_year=2025&stage=request&agency=jst&strategy=…``; which ones a kind has is
  :data:`FACETS`), values as ids (``jst``) or codes; the facet panel shows each value's count;
* ``sort=name|-name|id|…`` (see :data:`SORTS`) and ``page`` / ``per_page`` paging;
* a format: HTML by default, ``/program.json`` / ``/program.csv``, ``?format=json|csv`` or
  ``Accept: application/json`` / ``text/csv``. CSV holds every matching row (no paging unless
  ``page`` is given); JSON is paged like the page.

Programme amounts are the selected, deduplicated figures (``stikg:isSelectedFigure``) of the
chosen fiscal year and stage: the ``amount`` column and ``sort=amount`` need both facets.
Bad input — an unknown facet or value, a page past the end, a malformed number — is 400 for
JSON/CSV and a page with a clear empty state for HTML, never a traceback.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from stikg.web import html as pages
from stikg.web.html import STAGE_NAMES, STAGE_ORDER, esc
from stikg.web.http import HTTPError, Request, Response, negotiate, positive_param
from stikg.web.snapshot import KINDS, STIKG, Entity, Snapshot, snapshot_for
from stikg.web.summaries import oku

PER_PAGE = 50
MAX_PER_PAGE = 1000
FACETS = {
    "program": ("fiscal_year", "stage", "agency", "strategy"),
    "strategy": ("type", "agency", "year"),
    "organization": ("type", "parent"),
    "hub": ("host", "program"),
    "document": ("fiscal_year", "kind", "agency"),
}
FACET_NAMES = {"fiscal_year": "年度 fiscal year", "stage": "段階 stage", "agency": "機関 agency",
               "strategy": "戦略 strategy", "type": "種類 type", "year": "決定年 year decided",
               "parent": "上位組織 parent", "program": "事業 programme", "kind": "種類 kind",
               "host": "設置機関 host"}
SORTS = {
    "program": ("name", "id", "amount", "strategies"),
    "strategy": ("name", "id", "decided", "programs"),
    "organization": ("name", "id", "programs"),
    "hub": ("name", "id"),
    "document": ("name", "id", "issued", "fiscal_year", "facts"),
}
TITLES = {"program": "事業 Programmes", "strategy": "戦略・計画 Strategies and plans",
          "organization": "組織 Organisations", "hub": "拠点 Hubs", "document": "文書 Source documents"}
FORMATS = {"text/html": "html", "application/json": "json", "text/csv": "csv"}
AGENCY_ROLES = ("funding_agency", "implementer", "bureau")
ON = ' class="on"'


@dataclass
class Row:
    """One entity of a list: its columns (CSV/JSON) and facet values (value → label)."""

    entity: Entity
    columns: dict[str, Any]
    facets: dict[str, dict[str, str]] = field(default_factory=dict)
    sort: dict[str, Any] = field(default_factory=dict)


def _slug(snap: Snapshot, iri: str) -> str:
    entity = snap.entities.get(iri)
    return entity.slug if entity is not None else iri


def _names(snap: Snapshot, iris: set[str] | list[str]) -> dict[str, str]:
    return {_slug(snap, i): snap.label(i) for i in sorted(iris)}


def program_rows(snap: Snapshot) -> list[Row]:
    agencies: dict[str, set[str]] = defaultdict(set)
    strategies: dict[str, set[str]] = defaultdict(set)
    for fact in snap.facts.values():
        if fact.type == STIKG + "OrganizationRole" and fact.b in AGENCY_ROLES:
            agencies[fact.program].add(fact.a)
        elif fact.type == STIKG + "Citation":
            strategies[fact.program].add(fact.c or fact.a)
    for prop in ("fundedBy", "implementedBy", "managedBy"):
        for entity in snap.of_kind("program"):
            agencies[entity.iri].update(snap.objects(entity.iri, prop))
    rows = []
    for e in snap.of_kind("program"):
        budgets = snap.selected(e.iri)
        years = sorted({b.fiscal_year for b in budgets})
        rows.append(Row(e, {
            "iri": e.iri, "id": e.slug, "label_ja": e.label_ja, "label_en": e.label_en,
            "aliases": " | ".join(e.aliases),
            "agencies": " | ".join(snap.label(a) for a in sorted(agencies[e.iri])),
            "strategies": len(strategies[e.iri]),
            "fiscal_years": " ".join(str(y) for y in years),
        }, {
            "fiscal_year": {str(y): f"FY{y}" for y in years},
            "stage": {b.stage: STAGE_NAMES.get(b.stage, b.stage) for b in budgets},
            "agency": _names(snap, agencies[e.iri]),
            "strategy": _names(snap, strategies[e.iri]),
        }, {"strategies": len(strategies[e.iri])}))
    return rows


def strategy_rows(snap: Snapshot) -> list[Row]:
    rows = []
    for e in snap.of_kind("strategy"):
        kind = snap.attr_text(e.iri, "strategyType") or ", ".join(sorted(e.types - {"PolicyBasis"})) or "basis"
        decided = sorted(str(t.value) for t in snap.attr(e.iri, "decisionDate"))
        deciders = snap.objects(e.iri, "decidedBy")
        citing = len(snap.citing(e.iri))
        rows.append(Row(e, {
            "iri": e.iri, "id": e.slug, "label_ja": e.label_ja, "label_en": e.label_en, "type": kind,
            "decided": " ".join(decided), "decided_by": " | ".join(snap.label(d) for d in deciders),
            "programs": citing,
        }, {
            "type": {kind: kind}, "agency": _names(snap, deciders),
            "year": {d[:4]: d[:4] for d in decided if d[:4].isdigit()},
        }, {"decided": decided[0] if decided else "", "programs": citing}))
    return rows


def organization_rows(snap: Snapshot) -> list[Row]:
    related: dict[str, set[str]] = defaultdict(set)
    for fact in snap.facts.values():
        if fact.type == STIKG + "OrganizationRole":
            related[fact.a].add(fact.program)
        elif fact.type == STIKG + "FundingFlow":
            related[fact.a].add(fact.program)
            related[fact.c].add(fact.program)
    rows = []
    org_parent = "http://www.w3.org/ns/org#subOrganizationOf"
    for e in snap.of_kind("organization"):
        types = sorted(t for t in e.types if t != "Organization") or ["Organization"]
        parents = snap.objects(e.iri, org_parent)
        rows.append(Row(e, {
            "iri": e.iri, "id": e.slug, "label_ja": e.label_ja, "label_en": e.label_en,
            "aliases": " | ".join(e.aliases), "type": " ".join(types),
            "parent": " | ".join(snap.label(p) for p in parents), "programs": len(related[e.iri]),
        }, {"type": {t: t for t in types}, "parent": _names(snap, parents)}, {"programs": len(related[e.iri])}))
    return rows


def hub_rows(snap: Snapshot) -> list[Row]:
    rows = []
    for e in snap.of_kind("hub"):
        hosts, programs = snap.objects(e.iri, "hostedBy"), snap.objects(e.iri, "hubOfProgram")
        rows.append(Row(e, {
            "iri": e.iri, "id": e.slug, "label_ja": e.label_ja, "label_en": e.label_en,
            "host": " | ".join(snap.label(h) for h in hosts), "program": " | ".join(snap.label(p) for p in programs),
        }, {"host": _names(snap, hosts), "program": _names(snap, programs)}))
    return rows


def document_rows(snap: Snapshot) -> list[Row]:
    rows = []
    for e in snap.of_kind("document"):
        publishers = snap.objects(e.iri, "http://purl.org/dc/terms/publisher")
        year = snap.doc_year.get(e.iri)
        kind = snap.doc_kind.get(e.iri, "")
        issued = snap.attr_text(e.iri, "http://purl.org/dc/terms/issued")
        facts = len(snap.facts_in.get(e.iri, []))
        rows.append(Row(e, {
            "iri": e.iri, "id": e.slug, "label_ja": e.label_ja, "label_en": e.label_en,
            "issuer": snap.attr_text(e.iri, "issuerText"), "issued": issued,
            "fiscal_year": year if year is not None else "", "kind": kind,
            "url": snap.attr_text(e.iri, "https://schema.org/url"), "facts": facts,
        }, {
            "fiscal_year": {str(year): f"FY{year}"} if year is not None else {},
            "kind": {kind: kind} if kind else {}, "agency": _names(snap, publishers),
        }, {"issued": issued, "fiscal_year": year or 0, "facts": facts}))
    return rows


ROWS: dict[str, Callable[[Snapshot], list[Row]]] = {
    "program": program_rows, "strategy": strategy_rows, "organization": organization_rows,
    "hub": hub_rows, "document": document_rows,
}


@dataclass
class Listing:
    """A list after facets, sorting and paging (what every format shows)."""

    kind: str
    rows: list[Row]
    total: int
    page: int
    per_page: int
    pages: int
    facets: dict[str, str]
    sort: str
    counts: dict[str, dict[str, tuple[str, int]]]
    amount: tuple[int, str] | None
    message: str = ""


class Browse:
    """The list handlers of one app (rows built once from the snapshot)."""

    def __init__(self, app: Any):
        self.app = app
        self._rows: dict[str, list[Row]] = {}

    def rows(self, kind: str) -> list[Row]:
        if kind not in self._rows:
            self._rows[kind] = ROWS[kind](snapshot_for(self.app))
        return self._rows[kind]

    def handle(self, request: Request) -> Response:
        assert request.match is not None
        kind = request.match.group("kind")
        ext, asked = request.match.group("ext"), request.param("format")
        fmt = ext or asked or _negotiate(request)
        if fmt not in ("html", "json", "csv") or (ext and asked and asked != ext):
            return _error("json" if fmt == "json" else "text",
                          f"format must be html, json or csv (and agree with the .{ext or 'suffix'}), got {asked!r}")
        try:
            listing = self.listing(kind, request, paged=fmt != "csv" or request.param("page") is not None)
        except HTTPError as exc:
            if fmt != "html":
                return _error(fmt, exc.message)
            return pages.html_page(list_page(self.empty(kind, request), self.rows(kind), exc.message), exc.status)
        if listing.message and fmt != "html":
            return _error(fmt, listing.message)
        if fmt == "json":
            return pages.secure_json(self.as_json(listing))
        if fmt == "csv":
            return pages.secure(Response(200, as_csv(listing).encode("utf-8"), "text/csv; charset=utf-8", {
                "Content-Disposition": f'inline; filename="{kind}.csv"', "Vary": "Accept"}))
        status = 404 if listing.message else 200
        return pages.html_page(list_page(listing, self.rows(kind)), status, {"Vary": "Accept"})

    def empty(self, kind: str, request: Request) -> Listing:
        return Listing(kind, [], 0, 1, PER_PAGE, 1, {}, "name", {}, None)

    def listing(self, kind: str, request: Request, paged: bool = True) -> Listing:
        rows = self.rows(kind)
        allowed = FACETS[kind]
        reserved = {"sort", "page", "per_page", "format"}
        chosen: dict[str, str] = {}
        for name, values in request.params.items():
            if name in reserved:
                continue
            value = (values[0] if values else "").strip()
            if name not in allowed:
                raise HTTPError(400, f"unknown facet {name[:40]!r} for {kind}; facets are {', '.join(allowed)}")
            if not value:
                continue
            known = {v for r in rows for v in r.facets.get(name, {})}
            if value not in known:
                sample = ", ".join(sorted(known)[:12])
                raise HTTPError(400, f"no {kind} has {name}={value[:60]!r}; values are: {sample}"
                                     + (" …" if len(known) > 12 else ""))
            chosen[name] = value
        amount = None
        if kind == "program" and "fiscal_year" in chosen and "stage" in chosen:
            amount = (int(chosen["fiscal_year"]), chosen["stage"])
        sort = (request.param("sort") or "name").strip()
        field_name = sort.lstrip("-")
        if field_name not in SORTS[kind]:
            raise HTTPError(400, f"unknown sort {sort[:30]!r}; sorts are {', '.join(SORTS[kind])} (prefix - to reverse)")
        if field_name == "amount" and amount is None:
            raise HTTPError(400, "sort=amount needs a fiscal_year and a stage (amounts are per year and stage)")
        snap = snapshot_for(self.app)

        def match(row: Row, skip: str | None = None) -> bool:
            for name, value in chosen.items():
                if name == skip:
                    continue
                if name in ("fiscal_year", "stage") and kind == "program":
                    continue
                if value not in row.facets.get(name, {}):
                    return False
            if kind == "program" and skip not in ("fiscal_year", "stage"):
                year, stage = chosen.get("fiscal_year"), chosen.get("stage")
                if year or stage:
                    return any((not year or str(b.fiscal_year) == year) and (not stage or b.stage == stage)
                               for b in snap.selected(row.entity.iri))
            return True

        selected = [r for r in rows if match(r)]
        amounts: dict[str, tuple[int, bool]] = {}
        if amount is not None:
            for r in selected:
                budgets = [b for b in snap.selected(r.entity.iri) if (b.fiscal_year, b.stage) == amount]
                whole = [b for b in budgets if not b.partial]
                amounts[r.entity.iri] = (sum(b.amount_yen for b in (whole or budgets)), not whole)
        selected = [_with_amount(r, amounts.get(r.entity.iri), amount) for r in selected]
        reverse = sort.startswith("-")

        def key(row: Row) -> Any:
            if field_name == "name":
                return (row.entity.label, row.entity.iri)
            if field_name == "id":
                return row.entity.slug
            if field_name == "amount":
                return (row.columns.get("amount_yen") or 0, row.entity.label)
            return (row.sort.get(field_name, ""), row.entity.label)

        selected.sort(key=key, reverse=reverse)
        counts: dict[str, dict[str, tuple[str, int]]] = {}
        for name in allowed:
            tally: dict[str, tuple[str, int]] = {}
            for r in rows:
                if not match(r, skip=name):
                    continue
                for value, label in r.facets.get(name, {}).items():
                    tally[value] = (label, tally.get(value, (label, 0))[1] + 1)
            counts[name] = tally
        per_page = positive_param(request.param("per_page"), "per_page", PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise HTTPError(400, f"per_page is at most {MAX_PER_PAGE}")
        page = positive_param(request.param("page"), "page", 1)
        total = len(selected)
        pages_total = max(1, -(-total // per_page))
        message = ""
        if paged:
            if page > pages_total:
                message = f"page {page} does not exist: {total} {kind} rows make {pages_total} page(s) of {per_page}"
            shown = selected[(page - 1) * per_page: page * per_page]
        else:
            shown = selected
        return Listing(kind, shown, total, page, per_page, pages_total, chosen, sort, counts, amount, message)

    def as_json(self, listing: Listing) -> dict[str, Any]:
        return {
            "kind": listing.kind, "total": listing.total, "page": listing.page, "per_page": listing.per_page,
            "pages": listing.pages, "facets": listing.facets, "sort": listing.sort,
            "amount": {"fiscal_year": listing.amount[0], "stage": listing.amount[1],
                       "rule": "the selected figure (stikg:isSelectedFigure); supplementary rounds added"}
            if listing.amount else None,
            "facet_counts": {name: {v: {"label": label, "count": n} for v, (label, n) in sorted(tally.items())}
                             for name, tally in listing.counts.items()},
            "items": [r.columns for r in listing.rows],
        }


def _with_amount(row: Row, value: tuple[int, bool] | None, amount: tuple[int, str] | None) -> Row:
    if amount is None:
        return row
    columns = dict(row.columns)
    columns.update({"fiscal_year": amount[0], "stage": amount[1],
                    "amount_yen": value[0] if value else None, "partial": value[1] if value else None})
    return Row(row.entity, columns, row.facets, row.sort)


def as_csv(listing: Listing) -> str:
    out = io.StringIO()
    rows = [r.columns for r in listing.rows]
    header = list(rows[0]) if rows else list(ROW_COLUMNS[listing.kind])
    writer = csv.DictWriter(out, header, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else str(v).lower() if isinstance(v, bool) else v for k, v in row.items()})
    return out.getvalue()


ROW_COLUMNS = {
    "program": ("iri", "id", "label_ja", "label_en", "aliases", "agencies", "strategies", "fiscal_years"),
    "strategy": ("iri", "id", "label_ja", "label_en", "type", "decided", "decided_by", "programs"),
    "organization": ("iri", "id", "label_ja", "label_en", "aliases", "type", "parent", "programs"),
    "hub": ("iri", "id", "label_ja", "label_en", "host", "program"),
    "document": ("iri", "id", "label_ja", "label_en", "issuer", "issued", "fiscal_year", "kind", "url", "facts"),
}


# ------------------------------------------------------------------------------------ HTML


def list_url(kind: str, facets: dict[str, str], sort: str = "name", page: int = 1, fmt: str = "") -> str:
    params = [(k, v) for k, v in sorted(facets.items())]
    if sort != "name":
        params.append(("sort", sort))
    if page > 1:
        params.append(("page", str(page)))
    path = f"/{kind}.{fmt}" if fmt else f"/{kind}/"
    return path + ("?" + urlencode(params) if params else "")


_SHOWN = {
    "program": (("agencies", "機関 agencies"), ("strategies", "戦略数 strategies"), ("fiscal_years", "年度 years")),
    "strategy": (("type", "種類 type"), ("decided", "決定日 decided"), ("decided_by", "決定主体 by"),
                 ("programs", "引用事業 programmes")),
    "organization": (("type", "種類 type"), ("parent", "上位 parent"), ("programs", "事業数 programmes")),
    "hub": (("host", "設置機関 host"), ("program", "事業 programme")),
    "document": (("issued", "発行 issued"), ("fiscal_year", "年度 FY"), ("kind", "種類 kind"),
                 ("issuer", "発行者 issuer"), ("facts", "抽出 facts")),
}


def list_page(listing: Listing, all_rows: list[Row], message: str = "") -> str:
    """The list with its facet panel, sort links, paging and the CSV/JSON links."""
    kind = listing.kind
    message = message or listing.message
    parts = [f'<h1>{esc(TITLES[kind])}</h1>']
    if message:
        parts.append(f'<p class="empty" role="status">{esc(message)} '
                     f'<a href="/{kind}/">すべて表示 show all</a></p>')
    facets_html = []
    for name, tally in listing.counts.items():
        if not tally:
            continue
        order = sorted(tally.items(), key=lambda kv: (-int(kv[0]) if name in ("fiscal_year", "year") and
                                                      kv[0].lstrip("-").isdigit() else 0,
                                                      STAGE_ORDER.index(kv[0]) if name == "stage" and
                                                      kv[0] in STAGE_ORDER else 0, -kv[1][1], kv[1][0]))
        links = []
        if name in listing.facets:
            rest = {k: v for k, v in listing.facets.items() if k != name}
            links.append(f'<li><a class="clear" href="{esc(list_url(kind, rest, listing.sort))}">× すべて all</a></li>')
        for value, (label, count) in order[:40]:
            on = listing.facets.get(name) == value
            url = list_url(kind, {**listing.facets, name: value}, listing.sort)
            links.append(f'<li{ON if on else ""}><a href="{esc(url)}">{esc(label)}</a> '
                         f'<span class="count">{count}</span></li>')
        more = f'<li class="tag">… {len(order) - 40} more</li>' if len(order) > 40 else ""
        facets_html.append(f'<div class="facet" data-facet="{esc(name)}"><h3>{esc(FACET_NAMES[name])}</h3>'
                           f'<ul>{"".join(links)}{more}</ul></div>')
    sorts = []
    for s in SORTS[kind]:
        if s == "amount" and listing.amount is None:
            continue
        for direction, arrow in (("", "↑"), ("-", "↓")):
            value = direction + s
            current = listing.sort == value
            sorts.append(f'<a{ON if current else ""} href="{esc(list_url(kind, listing.facets, value))}">'
                         f"{esc(s)} {arrow}</a>")
    start = (listing.page - 1) * listing.per_page
    summary = (f'<p class="counts" id="counts" data-total="{listing.total}">{listing.total} 件 · '
               + (f"{start + 1}–{start + len(listing.rows)} shown · " if listing.rows else "")
               + "並べ替え sort: " + " ".join(sorts) + "</p>")
    if listing.amount is not None:
        fy, stage = listing.amount
        summary += (f'<p class="note">金額 = FY{fy} {esc(STAGE_NAMES.get(stage, stage))}: the figure totals use '
                    '(one per programme, deduplicated across documents). '
                    '<span class="partial">の内数</span> = part of a larger amount.</p>')
    elif kind == "program":
        summary += '<p class="note">Choose a fiscal year and a stage to see and sort by amounts.</p>'
    cols = _SHOWN[kind]
    head = "<th>名称 name</th>" + "".join(f"<th>{esc(t)}</th>" for _, t in cols)
    if listing.amount is not None:
        head += f'<th class="num">金額 FY{listing.amount[0]} {esc(STAGE_NAMES.get(listing.amount[1], ""))}</th>'
    body = []
    for r in listing.rows:
        e = r.entity
        name = (f'<a href="{esc(e.path)}" lang="ja">{esc(e.label)}</a>'
                + (f'<br><span class="en" lang="en">{esc(e.label_en)}</span>' if e.label_ja and e.label_en else ""))
        tds = "".join(f"<td>{esc(r.columns.get(c, ''))}</td>" for c, _ in cols)
        if listing.amount is not None:
            yen, partial = r.columns.get("amount_yen"), r.columns.get("partial")
            mark = ' <span class="partial">の内数</span>' if partial else ""
            tds += (f'<td class="num" data-yen="{yen}"><span title="{yen:,}円">{esc(oku(yen))}</span>{mark}</td>'
                    if isinstance(yen, int) else "<td></td>")
        body.append(f'<tr data-id="{esc(e.slug)}"><th>{name}</th>{tds}</tr>')
    table = (f'<table class="list" id="list"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
             if body else ('<p class="empty" role="status">該当なし。 Nothing matches these filters.</p>'
                           if not message else ""))
    nav = []
    if listing.pages > 1:
        if listing.page > 1:
            nav.append(f'<a rel="prev" href="{esc(list_url(kind, listing.facets, listing.sort, listing.page - 1))}">← 前</a>')
        nav.append(f"page {listing.page} / {listing.pages}")
        if listing.page < listing.pages:
            nav.append(f'<a rel="next" href="{esc(list_url(kind, listing.facets, listing.sort, listing.page + 1))}">次 →</a>')
    formats = (f'<p class="formats">Also as <a href="{esc(list_url(kind, listing.facets, listing.sort, fmt="csv"))}" '
               f'type="text/csv">CSV</a> · <a href="{esc(list_url(kind, listing.facets, listing.sort, listing.page, "json"))}" '
               'type="application/json">JSON</a></p>')
    parts.append(f'<div class="browse"><aside class="facets">{"".join(facets_html)}</aside>'
                 f'<div class="listing">{summary}{table}<p class="paging">{" · ".join(nav)}</p>{formats}</div></div>')
    return pages.layout(TITLES[kind], "\n".join(parts))


# ----------------------------------------------------------------------------------- helpers


def _negotiate(request: Request) -> str:
    try:
        return negotiate(request.headers.get("Accept"), FORMATS, "html")
    except HTTPError:
        return "html"


def _error(fmt: str, message: str) -> Response:
    if fmt == "json":
        return pages.secure_json({"error": message}, 400)
    return pages.secure(Response(400, f"400 Bad Request: {message}\n".encode(), "text/plain; charset=utf-8"))


def install(app: Any) -> Browse:
    """Add the list pages of every kind (and ``/search``, see :mod:`stikg.web.search`) to ``app``."""
    from stikg.web import search

    browse = Browse(app)
    kinds = "|".join(KINDS)
    app.route("GET", rf"/(?P<kind>{kinds})(?:/?|\.(?P<ext>json|csv))", browse.handle)
    search.install(app)
    return browse

