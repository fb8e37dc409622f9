"""``/search?q=``: find programmes, strategies, organisations, hubs and documents by name.

The index is built once per server from the :class:`~stikg.web.snapshot.Snapshot` (labels in ja
and en, skos:altLabel, short names, schema:alternateName, document titles). Names and queries
are compared by :func:`stikg.core.text.name_key` (NFKC, case, width, no spaces, dots or dashes),
so ``Q-LEAP``, ``q-leap``, ``ｑ－ｌｅａｐ`` and 光・量子飛躍フラッグシッププログラム find the same
programme. Every word of the query must occur in one of an entity's names. Ranking: a name equal
to the query, then a name starting with it, then containing it; a preferred label before an alias.

* ``GET /search?q=…&kind=program&kind=hub&page=2`` — HTML (result counts per kind, paging);
* ``GET /search.json?q=…`` (or ``Accept: application/json``) — the same as JSON; bad input is 400.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from stikg.core.text import name_key
from stikg.web import html as pages
from stikg.web.http import HTTPError, Request, Response, negotiate, positive_param
from stikg.web.snapshot import KINDS, Entity, Snapshot, snapshot_for

MAX_QUERY = 200
PER_PAGE = 50
MAX_PER_PAGE = 500
KIND_NAMES = {"program": "事業 programmes", "strategy": "戦略 strategies", "organization": "組織 organisations",
              "hub": "拠点 hubs", "document": "文書 documents"}
_SEP = "\x00"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ON = ' class="on"'


@dataclass(frozen=True)
class Hit:
    entity: Entity
    score: tuple[int, int, int, str]
    matched: str


class SearchIndex:
    """Name keys of every entity in one string, so a word is found by ``str.find`` (C speed)."""

    def __init__(self, snapshot: Snapshot):
        self.entries: list[tuple[Entity, str, str, int]] = []  # entity, name, key, rank (0 = label)
        for entity in sorted(snapshot.entities.values(), key=lambda e: (KINDS.index(e.kind), e.iri)):
            names = [(n, 0) for n in (entity.label_ja, entity.label_en) if n]
            names += [(n, 1) for n in entity.aliases]
            names.append((entity.slug, 2))
            for name, rank in names:
                key = name_key(name)
                if key:
                    self.entries.append((entity, name, key, rank))
        self.blob = _SEP.join(key for _, _, key, _ in self.entries)
        self.starts: list[int] = []
        offset = 0
        for _, _, key, _ in self.entries:
            self.starts.append(offset)
            offset += len(key) + 1

    def _entries_with(self, word: str) -> set[int]:
        found: set[int] = set()
        blob, starts = self.blob, self.starts
        pos = blob.find(word)
        while pos != -1:
            index = bisect.bisect_right(starts, pos) - 1
            found.add(index)
            nxt = starts[index + 1] if index + 1 < len(starts) else len(blob)
            pos = blob.find(word, nxt)
        return found

    def search(self, query: str, kinds: tuple[str, ...] = KINDS) -> list[Hit]:
        """Entities whose names hold every word of ``query``, best first."""
        query = _CONTROL.sub("", query)  # NUL separates the names in the blob; no control character matches
        words = [k for k in (name_key(w) for w in query.split()) if k]
        if not words:
            return []
        whole = name_key(query)
        per_word = [self._entries_with(w) for w in words]
        entities: dict[str, set[int]] = {}
        for i, found in enumerate(per_word):
            by_entity: dict[str, set[int]] = {}
            for index in found:
                by_entity.setdefault(self.entries[index][0].iri, set()).add(index)
            if i == 0:
                entities = by_entity
            else:
                entities = {k: v | by_entity[k] for k, v in entities.items() if k in by_entity}
        hits = []
        for indexes in entities.values():
            best: tuple[int, int, int, str] | None = None
            matched = ""
            for index in indexes:
                entity, name, key, rank = self.entries[index]
                how = 0 if key == whole else 1 if key.startswith(whole) else 2 if whole in key else 3
                score = (how, rank, len(key), entity.label)
                if best is None or score < best:
                    best, matched = score, name
            entity = self.entries[next(iter(indexes))][0]
            if entity.kind in kinds and best is not None:
                hits.append(Hit(entity, (best[0], best[1], KINDS.index(entity.kind), best[3]), matched))
        hits.sort(key=lambda h: (h.score, h.entity.iri))
        return hits


class Search:
    """The ``/search`` handlers of one app (the index is built on first use)."""

    def __init__(self, app: Any):
        self.app = app
        self._index: SearchIndex | None = None

    def index(self) -> SearchIndex:
        if self._index is None:
            self._index = SearchIndex(snapshot_for(self.app))
        return self._index

    def handle(self, request: Request) -> Response:
        assert request.match is not None
        fmt = "json" if request.match.group("ext") else _negotiate(request)
        try:
            args = _arguments(request)
        except HTTPError as exc:
            if fmt == "json":
                return pages.secure_json({"error": exc.message}, 400)
            q = (request.param("q") or "")[:MAX_QUERY]
            return pages.html_page(search_page(q, [], {}, (), 0, 1, 1, exc.message), 400)
        q, kinds, page, per_page = args
        if not q and fmt == "json":
            return pages.secure_json({"error": "give a search text: /search.json?q=NAME (Japanese or English)"}, 400)
        hits = self.index().search(q, KINDS) if q else []
        counts = {k: 0 for k in KINDS}
        for hit in hits:
            counts[hit.entity.kind] += 1
        chosen = [h for h in hits if h.entity.kind in kinds]
        pages_total = max(1, -(-len(chosen) // per_page))
        message = ""
        if page > pages_total:
            if fmt == "json":
                return pages.secure_json({"error": f"page {page} does not exist: {len(chosen)} results make {pages_total} "
                                       f"page(s) of {per_page}"}, 400)
            message = f"Page {page} does not exist: {len(chosen)} results make {pages_total} page(s)."
        shown = chosen[(page - 1) * per_page: page * per_page]
        if fmt == "json":
            return pages.secure_json({
                "query": q, "kinds": list(kinds), "total": len(chosen), "counts": counts, "page": page,
                "per_page": per_page, "pages": pages_total,
                "results": [{"iri": h.entity.iri, "kind": h.entity.kind, "id": h.entity.slug,
                             "label_ja": h.entity.label_ja, "label_en": h.entity.label_en,
                             "aliases": h.entity.aliases, "matched": h.matched, "href": h.entity.path}
                            for h in shown],
            })
        if not q:
            message = message or "検索語を入力してください。 Type a name (Japanese or English, e.g. Q-LEAP or 科研費)."
        return pages.html_page(search_page(q, shown, counts, kinds, len(chosen), page, pages_total, message))


def _negotiate(request: Request) -> str:
    try:
        return negotiate(request.headers.get("Accept"), {"text/html": "html", "application/json": "json"}, "html")
    except HTTPError:
        return "html"


def _arguments(request: Request) -> tuple[str, tuple[str, ...], int, int]:
    q = (request.param("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise HTTPError(400, f"the search text is {len(q)} characters long; at most {MAX_QUERY} are searched")
    if q and not name_key(q) and not q.split():
        q = ""
    raw_kinds = [k for v in request.params.get("kind", []) for k in v.split(",") if k.strip()]
    unknown = [k for k in raw_kinds if k not in KINDS]
    if unknown:
        raise HTTPError(400, f"unknown kind {unknown[0]!r}; kinds are {', '.join(KINDS)}")
    kinds = tuple(k for k in KINDS if k in raw_kinds) or KINDS
    page = positive_param(request.param("page"), "page", 1)
    per_page = positive_param(request.param("per_page"), "per_page", PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise HTTPError(400, f"per_page is at most {MAX_PER_PAGE}")
    return q, kinds, page, per_page


def search_page(q: str, hits: list[Hit], counts: dict[str, int], kinds: tuple[str, ...], total: int,
                page: int, pages_total: int, message: str = "") -> str:
    """The search form, counts per kind (each a filter link), the results and paging."""
    esc = pages.esc
    chosen = kinds if kinds and set(kinds) != set(KINDS) else ()
    checks = "".join(
        f'<label><input type="checkbox" name="kind" value="{k}"{" checked" if k in chosen else ""}> '
        f"{esc(KIND_NAMES[k])}</label> " for k in KINDS)
    parts = ['<h1>検索 <span class="en">Search</span></h1>',
             '<form class="searchpage" action="/search" method="get" role="search">'
             f'<input type="search" name="q" value="{esc(q)}" maxlength="{MAX_QUERY}" autofocus '
             'placeholder="名称・略称 name or short name (ja / en)" aria-label="search text">'
             f'<button type="submit">検索 search</button><div class="kinds">{checks}</div></form>']
    if message:
        parts.append(f'<p class="empty" role="status">{esc(message)}</p>')
    if q:
        links = [f'<a href="{esc(search_url(q))}"{ON if not chosen else ""}>all '
                 f'<span class="count">{sum(counts.values())}</span></a>']
        links += [f'<a href="{esc(search_url(q, (k,)))}"{ON if chosen == (k,) else ""}>'
                  f'{esc(KIND_NAMES[k])} <span class="count">{counts.get(k, 0)}</span></a>' for k in KINDS]
        parts.append(f'<p class="counts" id="counts" data-total="{total}">{total} 件 results · ' + " · ".join(links) + "</p>")
        if not hits and not message:
            parts.append(f'<p class="empty" role="status">「{esc(q)}」に一致するものはありません。 Nothing matches '
                         f"{esc(q)}. Try a shorter name, the short name (e.g. JST, Q-LEAP) or the other language.</p>")
    items = []
    for hit in hits:
        e = hit.entity
        other = e.label_en if e.label_ja else ""
        via = (f' <span class="via">— {esc(hit.matched)}</span>'
               if hit.matched not in (e.label_ja, e.label_en) else "")
        items.append(f'<li class="hit" data-kind="{e.kind}"><span class="kind">{esc(KIND_NAMES[e.kind].split()[0])}</span> '
                     f'<a href="{esc(e.path)}" lang="ja">{esc(e.label)}</a>{via}'
                     + (f' <span class="en" lang="en">{esc(other)}</span>' if other else "")
                     + f' <code>{esc(e.kind)}/{esc(e.slug)}</code></li>')
    if items:
        parts.append('<ol class="results" id="results">' + "".join(items) + "</ol>")
    if pages_total > 1:
        nav = []
        if page > 1:
            nav.append(f'<a rel="prev" href="{esc(search_url(q, chosen, page - 1))}">← 前 previous</a>')
        nav.append(f"page {page} / {pages_total}")
        if page < pages_total:
            nav.append(f'<a rel="next" href="{esc(search_url(q, chosen, page + 1))}">次 next →</a>')
        parts.append('<p class="paging">' + " · ".join(nav) + "</p>")
    json_link = "/search.json?" + search_url(q, chosen, page).split("?", 1)[1] if q else ""
    if json_link:
        parts.append(f'<p class="formats">Also as <a href="{esc(json_link)}" type="application/json">JSON</a></p>')
    return pages.layout(f"検索 {q}" if q else "検索 search", "\n".join(parts))


def search_url(q: str, kinds: tuple[str, ...] = (), page: int = 1) -> str:
    params: list[tuple[str, str]] = [("q", q)] + [("kind", k) for k in kinds]
    if page > 1:
        params.append(("page", str(page)))
    return "/search?" + urlencode(params)


def install(app: Any) -> Search:
    """Add ``/search`` and ``/search.json`` to ``app``."""
    search = Search(app)
    app.route("GET", r"/search(?P<ext>\.json)?/?", search.handle)
    return search
