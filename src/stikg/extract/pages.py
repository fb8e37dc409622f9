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

Pages still without a program after these rules are named by :mod:`stikg.extract.page_names`
(the summary list, then the evidence on the page) before :func:`segment` returns.
"""

from __future__ import annotations

import re

from stikg.extract.document import (
    MAIN_STAGES,
    Doc,
    Page,
    bare,
    first_label,
    header_label,
    is_heading_like,
    is_opening_heading,
    is_section_heading,
    is_subtitle,
    key,
    label_stage,
    label_year,
    strip_enum,
    yen_matches,
)
from stikg.extract.page_names import name_pages, program_like

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
    if header_label(nxt):
        return True
    if is_opening_heading(nxt) and skipped == 0 and not bare(s).endswith("等") and not _CLAUSE.search(s):
        return True
    if _prose(nxt) and len(nxt) < _PROSE_MAX:
        k = doc.next_nonblank(j)
        if k is not None and header_label(doc.lines[k].text):
            return True
    return not enumerated and key(bare(s)) in doc.known_programs


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
        or not (key(bare(s)) in doc.known_programs or program_like(doc, bare(s)))
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
    name_pages(doc)


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
