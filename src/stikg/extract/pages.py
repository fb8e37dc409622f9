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
* a second opening heading (or a repeated 目的/事業内容/事業概要) inside one page starts a new page;
* ``○<機関>の…に充てるため、運営費交付金を措置`` opens the page of that body's operating grant
  (program ``<機関>運営費交付金``).

Pages without a title are named from the document's summary list (a section page that lists
``program amount (previous)`` items): the list is in page order, so untitled pages between two
titled pages take the unmatched list items between the two, by order and, when counts differ, by
how much of the item's name the page's text contains.
"""

from __future__ import annotations

import math
import re

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
    for i, line in enumerate(doc.lines):
        if line.blank:
            continue
        s = line.text.strip()
        title = find_title(doc, i)
        grant_page = _OPERATING_GRANT_PAGE.match(s)
        if grant_page and not title:
            title = True
        opening = is_opening_heading(s)
        section = bare(s) if is_section_heading(s) else None
        start_new = title or after_tantou
        if not start_new and opening and opening_seen:
            start_new = True
        if not start_new and section in _REPEAT_BREAKERS and section in sections:
            start_new = True
        if start_new and has_content:
            pages[-1].end = i
            pages.append(Page(i, n))
            opening_seen = False
            sections = set()
        if grant_page and pages[-1].title is None:
            start = line.text.strip().find(grant_page["org"])
            name = line.printed.strip()[start: start + len(grant_page["org"])].strip()
            pages[-1].program = f"{name}運営費交付金"
        elif title and pages[-1].title is None:
            pages[-1].title = title_text(doc, i)
            pages[-1].title_index = i
            pages[-1].program = pages[-1].title
        has_content = True
        if opening:
            opening_seen = True
        if section:
            sections.add(section)
        after_tantou = bool(TANTOU_RE.search(s))
    doc.pages = pages
    doc.page_of = [0] * n
    for p, page in enumerate(pages):
        for i in range(page.start, page.end):
            doc.page_of[i] = p
    _find_summary_items(doc)
    _name_untitled_pages(doc)


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


def _has_text(doc: Doc, p: int) -> bool:
    page = doc.pages[p]
    return sum(1 for i in range(page.start, page.end) if not doc.lines[i].blank) >= 2
