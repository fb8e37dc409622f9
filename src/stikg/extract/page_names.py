"""Naming the pages that no title names.

Pages without a title are named from the document's summary list (a section page that lists
``program amount (previous)`` items): the list is in page order, so untitled pages between two
titled pages take the unmatched list items between the two, by order and, when counts differ, by
how much of the item's name the page's text contains. Pages still without a program are named by
the evidence on the page (:func:`_name_remaining_pages`): a definition ``X（以下「Y」という。）``
of a program, a line equal to a summary-list item, the registered program clearly dominant among
the programs the page mentions (:mod:`stikg.extract.program_mentions`), or the previous page's
when the page is a 参考/scheme continuation; lines of a page none of these name take the program
of the response line under their paragraph (``→「X」において…``). Whatever stays without a
program is reported by the driver.
"""

from __future__ import annotations

import math
import re

from stikg.extract.document import (
    Doc,
    Page,
    bare,
    first_label,
    header_label,
    is_heading_like,
    is_opening_heading,
    is_section_heading,
    key,
    strip_enum,
    yen_matches,
)
from stikg.extract.program_mentions import ascii_glued, registry_program
from stikg.inputs.registry import lookup


def name_pages(doc: Doc) -> None:
    """Mark the summary pages and name the pages without a program, strongest evidence first."""
    _find_summary_items(doc)
    _name_untitled_pages(doc)
    _name_remaining_pages(doc)


_PROGRAM_SUFFIX = re.compile(r"(?:事業|プログラム|プロジェクト|イニシアティブ)(?:\s*\([^()]{1,30}\))?$")


def _resolves(doc: Doc, kind: str, name: str) -> bool:
    """Does the document's registry (if any) know ``name`` as a ``kind``?"""
    return lookup(doc.registry, kind, name) is not None


def program_like(doc: Doc, name: str) -> bool:
    """Is a printed name a program's (the registry says so, or it ends like one: 事業, プログラム …)?
    A name the registry knows as an organisation or a strategy is not."""
    if _resolves(doc, "program", name):
        return True
    if _resolves(doc, "organization", name) or _resolves(doc, "strategy", name):
        return False
    return bool(_PROGRAM_SUFFIX.search(name.strip()))


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
                           ("registry", registry_program), ("continuation", _continued_program)):
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
    return name if program_like(doc, name) else None


def _mentions(text: str, names: list[str]) -> bool:
    k = key(text)
    for name in names:
        nk = key(name)
        if not nk:
            continue
        at = k.find(nk)
        while at >= 0:
            if not ascii_glued(k, at, at + len(nk)):
                return True
            at = k.find(nk, at + 1)
    return False

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
    if any(is_opening_heading(doc.lines[i].text) or header_label(doc.lines[i].text) for i in lines):
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
            programs = [m.group(1) for m in _QUOTED.finditer(s) if program_like(doc, m.group(1))]
            if programs:
                at = s.index(programs[0])
                first = line.printed.strip()[at : at + len(programs[0])]
                for k in range(start, i + 1):
                    doc.line_programs.setdefault(k, first)
            start = i + 1
        elif is_heading_like(s) or is_section_heading(s):
            start = i + 1
