"""Page and program segmentation.

The text of a budget pamphlet is the PDF's pages one after another. A program page usually
starts with a *title line* followed by its budget header (``令和7年度予算額（案）`` …); some pages
have no title line (the text layer lost it) and start with their first block heading
(``現状・課題`` / ``背景・課題`` / ``概要``). Rules, in order:

* a title is a short noun-phrase line whose next line (after English/～ subtitles, at most one
  line of prose between) is a budget header with a fiscal year; or a line ``NAME 令和5年度予算額 X``;
  or a noun phrase directly followed by an opening heading; or a standalone line naming a program
  the document quotes elsewhere (``「…事業」`` / ``「…プログラム」``);
* a page ends after its ``（担当：…）`` office line;
* a second opening heading (or a repeated 目的/事業内容/事業概要) inside one page starts a new page —
  at the standalone program name just above it (``…事業`` / ``…プログラム``, or a name the document
  quotes or the registry knows), which is that page's title the title rules missed;
* ``○<機関>の…に充てるため、運営費交付金を措置`` opens the page of that body's operating grant
  (program ``<機関>運営費交付金``).

Pages without a title are named from the document's summary list (a section page that lists
``program amount (previous)`` items): the list is in page order, so untitled pages between two
titled pages take the unmatched list items between the two, by order and, when counts differ, by
how much of the item's name the page's text contains. Pages still without a program are named by
the evidence on the page (:func:`_name_remaining_pages`): a definition ``X（以下「Y」という。）``
of a program, a line equal to a summary-list item, the registered program clearly dominant among
the programs the page mentions, or the previous page's when the page is a 参考/scheme continuation;
lines of a page none of these name take the program of the response line under their paragraph
(``→「X」において…``). Whatever stays without a program is reported by the driver.
"""

from __future__ import annotations

import math
import re

from stikg.core.text import _NOISE, nfkc
from stikg.extract.document import (
    MAIN_STAGES,
    Doc,
    Page,
    bare,
    first_label,
    is_heading_like,
    is_label_only,
    is_opening_heading,
    is_section_heading,
    is_subtitle,
    key,
    label_stage,
    label_year,
    strip_enum,
    yen_matches,
)
from stikg.inputs.registry import Registry, lookup

TANTOU_RE = re.compile(r"[(（【]\s*担当(?:課|部署|部局|課室)?\s*[:：】]")
_QUOTED_PROGRAM = re.compile(r"「([^「」]{3,60}?(?:事業|プログラム|プロジェクト|計画))」")
_REPEAT_BREAKERS = frozenset({"目的", "事業内容", "事業概要"})
# "○日本医療研究開発機構（AMED）の管理経費等に充てるため、運営費交付金を措置。" opens the page of an
# agency's operating grant (the program is "<agency>運営費交付金")
_OPERATING_GRANT_PAGE = re.compile(
    r"^[○◯●]?\s*(?P<org>[^、。]{2,40}?)の[^、。]{0,30}に充てるため[、,]?\s*運営費交付金を(?:措置|計上)"
)
_PROSE_MAX = 400
_CLAUSE = re.compile(r"が|を|に基づ|ため")  # a clause, not a program name


def _header_label(text: str) -> re.Match | None:
    """A budget header: the line starts with a stage label that carries a fiscal year."""
    s = text.strip()
    m = first_label(s)
    if not m or label_year(m) is None or "。" in s:
        return None
    if s[: m.start()].strip(" (（【["):
        return None
    if not is_label_only(s) and not (yen_matches(s) and len(s) <= 60):
        return None
    if label_stage(m) not in MAIN_STAGES + ("supplementary",):
        return None
    return m


def inline_title(text: str) -> str | None:
    """``NAME 令和5年度予算額 X`` → the folded NAME (None if the line is not of that shape)."""
    s = text.strip()
    m = first_label(s)
    if not m or label_year(m) is None or label_stage(m) not in MAIN_STAGES + ("supplementary",):
        return None
    prefix = s[: m.start()].strip()
    if prefix.endswith(":"):
        return None  # "開始年度：令和4年度（第2次補正予算）" is a field, not a title
    prefix = prefix.rstrip(" (【「")
    if len(prefix) < 4 or strip_enum(prefix) != prefix or prefix.startswith(("うち", "(", "【", ":", "「")):
        return None
    if yen_matches(prefix) or not is_heading_like(prefix):
        return None
    return prefix


def _prose(text: str) -> bool:
    s = text.strip()
    return bool(s) and not is_heading_like(s) and not is_section_heading(s) and not yen_matches(s)


def find_title(doc: Doc, i: int) -> bool:
    """Does line ``i`` open a program page with a title?"""
    line = doc.lines[i]
    s = line.text.strip()
    if inline_title(s):
        return True
    if (
        not is_heading_like(s)
        or is_subtitle(s)
        or s.startswith(("【", "[", ":", "*"))
        or (s[0].isdigit() and strip_enum(s) == s)
        or len(bare(s)) < 4
    ):
        return False
    enumerated = strip_enum(s) != s
    j = doc.next_nonblank(i)
    skipped = 0
    while j is not None and skipped < 2 and is_subtitle(doc.lines[j].text):
        j = doc.next_nonblank(j)
        skipped += 1
    if j is None:
        return False
    nxt = doc.lines[j].text
    if _header_label(nxt):
        return True
    if is_opening_heading(nxt) and skipped == 0 and not bare(s).endswith("等") and not _CLAUSE.search(s):
        return True
    if _prose(nxt) and len(nxt) < _PROSE_MAX:
        k = doc.next_nonblank(j)
        if k is not None and _header_label(doc.lines[k].text):
            return True
    return not enumerated and key(bare(s)) in doc.known_programs


_PROGRAM_SUFFIX = re.compile(r"(?:事業|プログラム|プロジェクト|イニシアティブ)(?:\s*\([^()]{1,30}\))?$")


def _resolves(doc: Doc, kind: str, name: str) -> bool:
    """Does the document's registry (if any) know ``name`` as a ``kind``?"""
    return lookup(doc.registry, kind, name) is not None


def _program_like(doc: Doc, name: str) -> bool:
    """Is a printed name a program's (the registry says so, or it ends like one: 事業, プログラム …)?
    A name the registry knows as an organisation or a strategy is not."""
    if _resolves(doc, "program", name):
        return True
    if _resolves(doc, "organization", name) or _resolves(doc, "strategy", name):
        return False
    return bool(_PROGRAM_SUFFIX.search(name.strip()))


def _orphan_title(doc: Doc, page: Page, i: int) -> int | None:
    """A title printed just before the heading that breaks the page at ``i`` but not recognised as
    one (``革新的…事業`` / ``事業概要``: the next line is a section, not an opening heading): the
    nearest line above, when it is a standalone program name, opens the new page."""
    j = doc.prev_nonblank(i)
    if j is None or j <= page.start or j == page.title_index:
        return None
    s = doc.lines[j].text.strip()
    if (
        not is_heading_like(s)
        or is_section_heading(s)
        or is_subtitle(s)
        or strip_enum(s) != s
        or s.startswith(("【", "[", "(", "<", "〔"))
        or len(bare(s)) < 4
        or not (key(bare(s)) in doc.known_programs or _program_like(doc, bare(s)))
    ):
        return None
    before = doc.prev_nonblank(j)
    if before is None or before < page.start or before == j - 1:
        return None  # nothing else on the page, or the line continues a block above it (a wrapped label)
    return j


def title_text(doc: Doc, i: int) -> str:
    """The printed title of a title line (inline titles: the part before the label)."""
    line = doc.lines[i]
    folded = inline_title(line.text)
    if folded is not None:
        start = line.text.index(folded)
        return line.printed[start : start + len(folded)].strip()
    s = line.printed.strip()
    return strip_enum(s) if strip_enum(line.text.strip()) != line.text.strip() else s


def collect_known_programs(doc: Doc) -> None:
    """Program names the document itself quotes (``「…プログラム」``). (Registry names are not
    used here: the registry also lists sub-programs, which must not start pages.)"""
    for line in doc.lines:
        for m in _QUOTED_PROGRAM.finditer(line.text):
            doc.known_programs.add(key(m.group(1)))


def segment(doc: Doc) -> None:
    """Fill ``doc.pages`` and ``doc.page_of``."""
    collect_known_programs(doc)
    n = len(doc.lines)
    pages: list[Page] = [Page(0, n)]
    opening_seen = False
    sections: set[str] = set()
    after_tantou = False
    has_content = False
    hard_break: int | None = None  # the line after an excerpt break: the next page starts there
    budget_only = False  # the excerpt's page has printed only budget labels, figures and notes so far
    for i, line in enumerate(doc.lines):
        if i in doc.breaks:
            hard_break = i
        if line.blank:
            continue
        s = line.text.strip()
        fresh = False  # this line opens an excerpt's page: no rule needs to split it again
        if hard_break is not None and has_content:
            pages[-1].end = hard_break
            pages.append(Page(hard_break, n))
            opening_seen, sections, after_tantou = False, set(), False
            fresh = True
            budget_only = True
        hard_break = None
        title = find_title(doc, i)
        grant_page = _OPERATING_GRANT_PAGE.match(s)
        if grant_page and not title:
            title = True
        opening = is_opening_heading(s)
        section = bare(s) if is_section_heading(s) else None
        start_new = title or after_tantou
        by_heading = False
        if not start_new and opening and opening_seen:
            start_new = by_heading = True
        if not start_new and section in _REPEAT_BREAKERS and section in sections:
            start_new = by_heading = True
        # an excerpt that opens with its budget header: the title printed under it is the page's
        late_title = bool(title) and budget_only and pages[-1].title is None and pages[-1].start in doc.breaks
        # an excerpt is one printed page: a second title-like line on it names a part, not a new page
        excerpt_titled = pages[-1].start in doc.breaks and pages[-1].title is not None
        if start_new and has_content and not fresh and not late_title and not excerpt_titled:
            orphan = _orphan_title(doc, pages[-1], i) if by_heading else None
            at = i if orphan is None else orphan
            pages[-1].end = at
            pages.append(Page(at, n))
            opening_seen = False
            sections = set()
            if orphan is not None:
                pages[-1].title = title_text(doc, orphan)
                pages[-1].title_index = orphan
                pages[-1].program = pages[-1].title
        if grant_page and pages[-1].title is None:
            start = line.text.strip().find(grant_page["org"])
            name = line.printed.strip()[start: start + len(grant_page["org"])].strip()
            pages[-1].program = f"{name}運営費交付金"
        elif title and pages[-1].title is None:
            pages[-1].title = title_text(doc, i)
            pages[-1].title_index = i
            pages[-1].program = pages[-1].title
        has_content = True
        budget_only = budget_only and _budget_line(s)
        if opening:
            opening_seen = True
        if section:
            sections.add(section)
        after_tantou = bool(TANTOU_RE.search(s))
    for page in pages:
        if _named_field(doc, page):
            continue
        if doc.breaks and page.title is None and page.program is None:
            _excerpt_title(doc, page)
        _header_subtitle(doc, page)
    doc.pages = pages
    doc.page_of = [0] * n
    for p, page in enumerate(pages):
        for i in range(page.start, page.end):
            doc.page_of[i] = p
    _find_summary_items(doc)
    _name_untitled_pages(doc)
    _name_remaining_pages(doc)


def _header_subtitle(doc: Doc, page: Page) -> None:
    """``戦略的創造研究推進事業`` / ``令和7年度要求・要望額 21億円`` / ``情報通信科学・イノベーション基盤創出
    (CRONOS)`` / ``背景・課題``: a name printed between the page's budget header and its first block
    heading is the part of the titled program the figures are for (``Title > Name``)."""
    if page.title_index is None or page.program != page.title:
        return
    i = doc.next_nonblank(page.title_index)
    while i is not None and i < page.end and is_subtitle(doc.lines[i].text):
        i = doc.next_nonblank(i)
    seen_header = False
    while i is not None and i < page.end and _budget_line(doc.lines[i].text.strip()):
        seen_header = seen_header or bool(first_label(doc.lines[i].text))
        i = doc.next_nonblank(i)
    if not seen_header or i is None or i >= page.end:
        return
    s = doc.lines[i].text.strip()
    nxt = doc.next_nonblank(i)
    while nxt is not None and nxt < page.end and doc.lines[nxt].text.strip().startswith(("※", "*")):
        nxt = doc.next_nonblank(nxt)  # a footnote on the name ("※CRONOS: Cutting-edge …")
    if (nxt is None or nxt >= page.end or not is_opening_heading(doc.lines[nxt].text) or not is_heading_like(s)
            or is_section_heading(s) or is_opening_heading(s) or strip_enum(s) != s or len(bare(s)) < 4
            or is_subtitle(s, latin=False)):
        return
    name = doc.lines[i].printed.strip()
    if key(name) != key(page.title):
        page.program = f"{page.title} > {name}"
        page.named_by = "header-subtitle"


def _budget_line(s: str) -> bool:
    """A line of a budget header block: labels, figures, ``※`` notes, ``を含む``."""
    return bool(first_label(s) or yen_matches(s)) or s.startswith(("※", "*")) or len(s) <= 6


_NAME_FIELD = re.compile(r"^\s*(?:施策名|事業名|プログラム名)\s*[:：]\s*(?P<name>\S.{2,80}?)\s*$")


def _named_field(doc: Doc, page: Page) -> bool:
    """``施策名：X`` / ``事業名：X`` (MHLW and cabinet sheets) names the page's program, whatever
    line the title rules took (often the office printed above it)."""
    for i in range(page.start, page.end):
        m = _NAME_FIELD.match(doc.lines[i].text)
        if m:
            start = doc.lines[i].text.index(m["name"])
            page.title = page.program = doc.lines[i].printed[start: start + len(m["name"])].strip()
            page.title_index = i
            page.named_by = "name-field"
            return True
    return False


_COLUMN_HEAD = re.compile(r"^(?:令和|平成)?\s*\d{1,2}\s*年度")


def _excerpt_title(doc: Doc, page: Page) -> None:
    """An excerpt of a web copy whose title the rules missed (printed after its budget header, or
    without one): its first standalone noun-phrase line among the first lines, before any block
    heading, names it."""
    seen = 0
    for i in range(page.start, page.end):
        line = doc.lines[i]
        if line.blank:
            continue
        seen += 1
        s = line.text.strip()
        if seen > 12 or is_opening_heading(s) or (is_section_heading(s) and not s.endswith("のポイント")):
            return
        if (
            is_heading_like(s)
            and not is_subtitle(s)
            and not s.startswith(("【", "[", "(", "<", "〔", "※"))
            and not _COLUMN_HEAD.match(s)
            and len(bare(s)) >= 4
        ):
            page.title, page.title_index = title_text(doc, i), i
            page.program = page.title
            page.named_by = "excerpt-title"
            return


# ----------------------------------------------------------------- summary list alignment


def item_name_span(text: str) -> tuple[int, int] | None:
    """Span of the name printed in front of the first amount/label of a line, or None."""
    ms = yen_matches(text)
    if not ms:
        return None
    end = ms[0].start()
    lm = first_label(text)
    if lm and lm.start() < end:
        end = lm.start()
    raw = text[:end]
    core = bare(raw.rstrip(" (（【「:：-—–"))
    if not core or core.startswith("うち") or len(core) > 70 or "。" in core:
        return None
    start = raw.index(core)
    return start, start + len(core)


def same_program(a: str, b: str) -> bool:
    """Do two printed program names name the same program (equal keys, or one contains the other)?"""
    ka, kb = key(a), key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 6 and short in long_


def _find_summary_items(doc: Doc) -> None:
    titles = [(p, page.title) for p, page in enumerate(doc.pages) if page.title]
    for p, page in enumerate(doc.pages):
        items = []
        for i in range(page.start, page.end):
            line = doc.lines[i]
            span = item_name_span(line.text)
            if span is None or i == page.title_index:
                continue
            name = line.printed[span[0] : span[1]].strip()
            if is_heading_like(line.text[span[0] : span[1]]):
                items.append((i, name, bool(yen_matches(line.text)[0]["partial"])))
        matched = sum(1 for _, name, _ in items if any(q != p and same_program(name, t) for q, t in titles))
        page.items = items
        page.is_summary = len(items) >= 3 and matched >= 2
        if page.is_summary:
            for i, name, _ in items:
                title = next((t for q, t in titles if q != p and same_program(name, t)), None)
                doc.item_programs[i] = title or name


def _bigrams(text: str) -> set[str]:
    k = key(text)
    return {k[i : i + 2] for i in range(len(k) - 1)}


def _similarity(name: str, grams_of_page: set[str], weight: dict[str, float]) -> float:
    """Evidence that a page is about ``name``: the share of the name's bigrams the page contains,
    each weighted by how rare it is among the document's pages (研究/支援 count for little)."""
    grams = _bigrams(name)
    total = sum(weight.get(g, 0.0) for g in grams)
    if not total:
        return 0.0
    return sum(weight.get(g, 0.0) for g in grams if g in grams_of_page) / total


def _align(pages: list[int], items: list[int], sim) -> list[tuple[int, int]]:
    """Order-preserving assignment of pages to items maximising matches, then similarity."""
    m, n = len(pages), len(items)
    score = [[0.0] * (n + 1) for _ in range(m + 1)]
    for a in range(1, m + 1):
        for b in range(1, n + 1):
            score[a][b] = max(score[a - 1][b], score[a][b - 1],
                              score[a - 1][b - 1] + 1.0 + sim(pages[a - 1], items[b - 1]))
    out = []
    a, b = m, n
    while a > 0 and b > 0:
        if score[a][b] == score[a - 1][b]:
            a -= 1
        elif score[a][b] == score[a][b - 1]:
            b -= 1
        else:
            out.append((pages[a - 1], items[b - 1]))
            a -= 1
            b -= 1
    return out[::-1]


def _name_untitled_pages(doc: Doc) -> None:
    summaries = [p for p, page in enumerate(doc.pages) if page.is_summary]
    if not summaries:
        return
    ps = summaries[0]
    items = doc.pages[ps].items
    page_grams = [
        _bigrams("".join(doc.lines[i].text for i in range(page.start, page.end))) for page in doc.pages
    ]
    df: dict[str, int] = {}
    for grams in page_grams:
        for g in grams:
            df[g] = df.get(g, 0) + 1
    weight = {g: math.log((len(page_grams) + 1) / (1 + c)) for g, c in df.items()}
    later = list(range(ps + 1, len(doc.pages)))
    # anchors: list items that name a titled page, kept in increasing page order
    anchors: list[tuple[int, int]] = []
    for k, (_, name, _) in enumerate(items):
        for p in later:
            page = doc.pages[p]
            if page.title and same_program(name, page.title) and (not anchors or p > anchors[-1][1]):
                anchors.append((k, p))
                break
    bounds = [(-1, ps), *anchors, (len(items), len(doc.pages))]
    def sim(p: int, k: int) -> float:
        # An item printed as の内数 is a share of another body's budget (e.g. an institute's
        # operating grant) and rarely has a page of its own: weaker evidence.
        factor = 0.5 if items[k][2] else 1.0
        return factor * _similarity(items[k][1], page_grams[p], weight)

    for (k0, p0), (k1, p1) in zip(bounds, bounds[1:], strict=False):
        untitled = [p for p in range(p0 + 1, p1)
                    if not doc.pages[p].title and not doc.pages[p].program and _has_text(doc, p)]
        free = list(range(k0 + 1, k1))
        if not untitled or not free:
            continue
        for p, k in _align(untitled, free, sim):
            doc.pages[p].program = items[k][1]
            doc.pages[p].named_by = "summary"


def _has_text(doc: Doc, p: int) -> bool:
    page = doc.pages[p]
    return sum(1 for i in range(page.start, page.end) if not doc.lines[i].blank) >= 2


# ----------------------------------------------------------------- pages the summary list does not name

# "X(以下「Y」という。)", "X（以下、「Y」）", "X(以下Yという。)": the page names program X (short name Y)
_CALLED = r"(?:という|と称する|と略す|と呼ぶ)"
_DEFINITION = re.compile(
    rf"\(\s*以下\s*[、,]?\s*(?:「(?P<q>[^「」]{{1,30}})」\s*{_CALLED}?|(?P<u>[^()「」、。]{{1,20}}?)\s*{_CALLED})"
    r"\s*。?\s*\)"
)
_NAME_STOP = re.compile(r"[「」『』()\[\]【】〔〕<>、。,:;!?]")
_LEAD_CLAUSE = re.compile(r"^.*(?:を|が|は)(?=.{4})")
_CONTINUATION_HEADS = frozenset({"参考", "参考資料", "事業スキーム", "資金の流れ", "支援スキーム", "事業推進スキーム", "実施体制"})
_RESPONSE = re.compile(r"^\s*[-・*]?\s*[→⇒➡]")
_QUOTED = re.compile(r"「([^「」]{3,60})」")
# Registry dominance: the winner is on at least _MIN_LINES lines of the page, at least twice as many as
# any unrelated program and _MARGIN more; it yields to one of its sub-programs holding _SUB_SHARE of them.
_MIN_LINES = 2
_MARGIN = 2
_SUB_SHARE = 0.75


def _name_remaining_pages(doc: Doc) -> None:
    """Name untitled pages that neither a title nor the summary list named, by the evidence on the
    page, strongest first:

    1. a definition ``X（以下「Y」という。）`` of a program X (the page is about X);
    2. a standalone line (a diagram box, a heading) equal to an item of the document's summary list;
    3. with a registry: the registered program (name, alias or short name, or one of its
       sub-programs) clearly dominant among the programs the page mentions, by lines;
    4. the previous page's program when the page is a continuation (it opens with 参考 or a scheme
       heading, and has neither an opening heading nor a budget header of its own).

    Lines of pages still without a program take the first program of a response line right under
    their paragraph (``→「X」、「Y」において…``; briefings answer each issue so)."""
    for p, page in enumerate(doc.pages):
        if page.title or page.program or page.is_summary or not _has_text(doc, p):
            continue
        for rule, find in (("definition", _defined_program), ("summary-line", _summary_line_program),
                           ("registry", _registry_program), ("continuation", _continued_program)):
            name = find(doc, p)
            if name:
                page.program = name
                page.named_by = rule
                break
        if not page.program:
            _response_lines(doc, page)


def _page_lines(doc: Doc, p: int) -> range:
    page = doc.pages[p]
    return range(page.start, page.end)


def definitions(doc: Doc, i: int) -> list[tuple[str, str]]:
    """``(program as printed, short name)`` of each program definition ``X（以下「Y」…）`` of line ``i``."""
    line = doc.lines[i]
    text = line.text
    if "以下" not in text:
        return []
    out = []
    for m in _DEFINITION.finditer(text):
        short = (m["q"] or m["u"] or "").strip()
        before = text[: m.start()]
        cut = max((k.end() for k in _NAME_STOP.finditer(before)), default=0)
        name = before[cut:].strip()
        lead = _LEAD_CLAUSE.match(name)
        if lead:
            name = name[lead.end():]
        name = strip_enum(name)
        if len(name) < 3 or not short:
            continue
        start = text.index(name, cut)
        printed = line.printed[start : start + len(name)].strip()
        program = _program_part(doc, printed)
        if program:
            out.append((program, short))
    return out


def _program_part(doc: Doc, name: str) -> str | None:
    """The program a defined name names: with a registry, the name or else its longest ending the
    registry knows as a program (``JSTの戦略的創造研究推進事業`` → ``戦略的創造研究推進事業``);
    otherwise the name when it ends like a program's (事業, プログラム …)."""
    if doc.registry is not None:
        for start in range(0, len(name) - 2):
            tail = name[start:].strip()
            if len(tail) >= 3 and _resolves(doc, "program", tail):
                return tail
    return name if _program_like(doc, name) else None


def _mentions(text: str, names: list[str]) -> bool:
    k = key(text)
    for name in names:
        nk = key(name)
        if not nk:
            continue
        at = k.find(nk)
        while at >= 0:
            if not _ascii_glued(k, at, at + len(nk)):
                return True
            at = k.find(nk, at + 1)
    return False


def _ascii_glued(k: str, i: int, j: int) -> bool:
    """Is the match k[i:j] part of a longer Latin word or number (``LEAP`` in ``Q-LEAP``)?"""
    def word(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()
    return (word(k[i]) and i > 0 and word(k[i - 1])) or (word(k[j - 1]) and j < len(k) and word(k[j]))


def _defined_program(doc: Doc, p: int) -> str | None:
    found: dict[str, tuple[str, int]] = {}
    lines = _page_lines(doc, p)
    for i in lines:
        for program, short in definitions(doc, i):
            uses = sum(1 for j in lines if j != i and _mentions(doc.lines[j].text, [program, short]))
            if uses:
                k = key(program)
                found[k] = (found[k][0], max(found[k][1], uses)) if k in found else (program, uses)
    if not found:
        return None
    ranked = sorted(found.values(), key=lambda x: -x[1])
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None  # two programs defined and used as much: no evidence which one the page is about
    return ranked[0][0]


def _summary_line_program(doc: Doc, p: int) -> str | None:
    summaries = [q for q, page in enumerate(doc.pages) if page.is_summary]
    if not summaries:
        return None
    items = {key(name): doc.item_programs.get(i, name) for i, name, _ in doc.pages[summaries[0]].items}
    found = set()
    for i in _page_lines(doc, p):
        s = doc.lines[i].text.strip()
        if s and not yen_matches(s) and is_heading_like(s):
            program = items.get(key(bare(s)))
            if program:
                found.add(program)
    return found.pop() if len(found) == 1 else None


# ---- registry dominance

_REGISTRY_NAMES: dict[int, tuple[object, list[tuple[str, object]]]] = {}


def _program_names(registry: Registry) -> list[tuple[str, object]]:
    """(name key, entry) of every program name, alias and short name, longest first (cached)."""
    cached = _REGISTRY_NAMES.get(id(registry))
    if cached is not None and cached[0] is registry:
        return cached[1]
    names = []
    for entry in registry.entries("program"):
        texts = {entry.name_ja, entry.name_en, entry.get("short_name") or "", *entry.aliases}
        for text in texts:
            k = key(text)
            if len(k) >= 3:
                names.append((k, entry))
    names.sort(key=lambda x: (-len(x[0]), x[0], x[1].id))
    _REGISTRY_NAMES.clear()
    _REGISTRY_NAMES[id(registry)] = (registry, names)
    return names


def registry_mentions(text: str, registry: Registry) -> set[str]:
    """Ids of the registered programs a line names (longest names first, no overlaps, a Latin name
    only as a whole word, an upper-case short name such as PRIME or FORCE only in upper case)."""
    k = key(text)
    if not k:
        return set()
    cased = _cased_key(text)
    if len(cased) != len(k):
        cased = ""
    used = [False] * len(k)
    out = set()
    for nk, entry in _program_names(registry):
        at = k.find(nk)
        while at >= 0:
            end = at + len(nk)
            if (
                not any(used[at:end])
                and not _ascii_glued(k, at, end)
                and not (cased and nk.isascii() and cased[at:end] != nk and cased[at:end].lower() == nk
                         and not _cased_name(nk, entry, cased[at:end]))
            ):
                used[at:end] = [True] * len(nk)
                out.add(entry.id)
            at = k.find(nk, at + 1)
    return out


def _cased_key(text: str) -> str:
    """:func:`key` without lower-casing (same length as the key for ordinary text)."""
    return _NOISE.sub("", nfkc(text))


def _cased_name(nk: str, entry: object, printed: str) -> bool:
    """Is ``printed`` (a Latin match of name key ``nk``) written as one of the entry's names is?
    ("Prime" is not PRIME, "force" is not FORCE.)"""
    for text in (entry.name_ja, entry.name_en, entry.get("short_name") or "", *entry.aliases):
        if key(text) == nk and _cased_key(text) == printed:
            return True
    return False


def _registry_program(doc: Doc, p: int) -> str | None:
    reg = doc.registry
    if reg is None or not hasattr(reg, "entries"):
        return None
    lines_of: dict[str, set[int]] = {}
    for i in _page_lines(doc, p):
        if doc.lines[i].blank:
            continue
        for pid in registry_mentions(doc.lines[i].text, reg):
            for anc in _ancestors(reg, pid):  # a sub-program's line is also its parent's
                lines_of.setdefault(anc, set()).add(i)
    winner = dominant_program({pid: len(ls) for pid, ls in lines_of.items()}, lambda pid: _ancestors(reg, pid))
    return reg.get("program", winner).name_ja if winner else None


def _ancestors(reg: object, pid: str) -> list[str]:
    out = []
    current = pid
    while current and current not in out:
        out.append(current)
        current = reg.get("program", current).get("parent")
    return out


def dominant_program(counts: dict[str, int], ancestors) -> str | None:
    """The clearly dominant program of ``counts`` (program id → lines naming it or a sub-program;
    ``ancestors(id)`` = the id and its parents): the top count, at least ``_MIN_LINES``, twice and
    ``_MARGIN`` more than any program outside its family; then the sub-program that holds most of
    its lines, if one does as clearly."""
    if not counts:
        return None
    roots = [pid for pid in counts if not any(a in counts for a in ancestors(pid)[1:])]
    ranked = sorted(roots, key=lambda pid: (-counts[pid], pid))
    best = ranked[0]
    second = counts[ranked[1]] if len(ranked) > 1 else 0
    if not _clearly(counts[best], second):
        return None
    while True:
        children = sorted((pid for pid in counts if ancestors(pid)[1:2] == [best]), key=lambda pid: (-counts[pid], pid))
        if not children:
            return best
        top = children[0]
        runner = counts[children[1]] if len(children) > 1 else 0
        if counts[top] < _SUB_SHARE * counts[best] or not _clearly(counts[top], runner):
            return best
        best = top


def _clearly(count: int, second: int) -> bool:
    return count >= _MIN_LINES and count >= 2 * second and count - second >= _MARGIN


# ---- continuation and response lines


def _continued_program(doc: Doc, p: int) -> str | None:
    if p == 0:
        return None
    prev = doc.pages[p - 1]
    if not prev.program or prev.is_summary:
        return None
    lines = [i for i in _page_lines(doc, p) if not doc.lines[i].blank]
    head = bare(doc.lines[lines[0]].text)
    if head not in _CONTINUATION_HEADS and not head.startswith("参考"):
        return None
    if any(is_opening_heading(doc.lines[i].text) or _header_label(doc.lines[i].text) for i in lines):
        return None
    return prev.program


def _response_lines(doc: Doc, page: Page) -> None:
    """``→「X」、「Y」において…`` answers the paragraph above it: its lines (back to the previous
    heading or response line) and the response line itself take X, the first program it names."""
    start = page.start
    for i in range(page.start, page.end):
        line = doc.lines[i]
        if line.blank:
            continue
        s = line.text.strip()
        if _RESPONSE.match(s):
            programs = [m.group(1) for m in _QUOTED.finditer(s) if _program_like(doc, m.group(1))]
            if programs:
                at = s.index(programs[0])
                first = line.printed.strip()[at : at + len(programs[0])]
                for k in range(start, i + 1):
                    doc.line_programs.setdefault(k, first)
            start = i + 1
        elif is_heading_like(s) or is_section_heading(s):
            start = i + 1
