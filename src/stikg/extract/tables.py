"""Comparison tables (MOF style): year columns, a unit header, rows of programs.

The text layer of a table such as::

    科学技術振興費        7年度     8年度    (単位:億円)   7'→8'増減
                        14,221    14,378   +156(+1.1%)
    ○科学研究費助成事業(科研費)   2,379 億円   2,479 億円   (+4.2%)

comes out one cell per line, headers interleaved with the figures. A page is a comparison table
when it prints two or more *year column headers* (a line that is only ``7年度``, ``令和7年度``), or
labelled ones (``令和6年度予算額``, ``令和7年度要求額``) under a unit header. Then the figures after a row's name fill the columns in
ascending year order; a column's stage is its label's when it prints one, else the page context's
for the page's fiscal year and ``previous_year_budget`` for the year before. A ``(単位:億円)`` header
makes bare numbers (``14,221``) amounts in that unit; signed figures and percentages (``+156``,
``▲80``, ``(+1.1%)``) are differences, never amounts. A row's name may be split around its figures
(``○戦略的創造研究推進事業(新技術シー`` … ``ズ創出)``): an open bracket is closed by the short line
that balances it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stikg.core.normalize import era_year
from stikg.extract.document import STAGE_OF_KIND, Doc, Page, bare, is_heading_like, strip_enum, yen_matches

# "7年度", "令和7年度", "R7年度", "令和6年度予算額", "8年度予算額(案)", "令和7年度要求額", "7’年度"
_COLUMN = re.compile(
    r"^(?:(?P<era>令和|平成|R|H)\s*)?(?P<y>\d{1,2}|元)\s*[’']?\s*年度\s*"
    r"(?P<kind>予算額\s*\(\s*案\s*\)|予算案|要求・要望額|要求額|当初予算額|予算額|補正予算額|補正予算)?$"
)
_UNIT = re.compile(r"^[(（]?\s*単位\s*[:：]\s*(?P<unit>兆円|億円|百万円|千万円|万円|千円|円)\s*[)）]?$")
UNIT_YEN = {"兆円": 10**12, "億円": 10**8, "千万円": 10**7, "百万円": 10**6, "万円": 10**4, "千円": 10**3, "円": 1}
BARE_NUMBER = re.compile(r"^(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<f>\d+))?$")
DIFFERENCE_LINE = re.compile(r"^[(（]?\s*[+＋▲△-]\s*\d[\d,.]*\s*(?:億円|百万円|円)?\s*(?:[(（][^()（）]*[)）])?\s*[)）]?$"
                             r"|^[(（]\s*[+＋▲△-]?\s*\d[\d.]*\s*[%％]\s*[)）]$")
_HEADER_WORDS = re.compile(r"増\s*減|→|対前年|伸び率|比較|区分|事項")


@dataclass(frozen=True)
class Column:
    """One year column of a comparison table."""

    fiscal_year: int
    stage: str
    label: str
    line: int  # 0-based index of its header


def column_of(text: str) -> tuple[int, str | None] | None:
    """(fiscal year, stage or None) of a year column header line, or None."""
    m = _COLUMN.match(bare(text.strip()))
    if not m:
        return None
    era = {"R": "令和", "H": "平成"}.get(m["era"] or "令和", m["era"] or "令和")
    try:
        year = era_year(era, 1 if m["y"] == "元" else int(m["y"]))
    except ValueError:
        return None
    kind = re.sub(r"\s", "", m["kind"] or "")
    stage = None
    if kind:
        stage = "budget_draft" if kind.startswith("予算額(") else STAGE_OF_KIND.get(kind)
    return year, stage


def table_columns(doc: Doc, page: Page, context: tuple[str, int] | None) -> list[Column]:
    """The year columns of a comparison-table page (empty when the page is not one): two or more
    bare year headers (``7年度`` / ``8年度``), or labelled ones (``令和6年度予算額`` / ``令和7年度要求額``)
    on a page with a unit header — a program page's own budget header block (``令和7年度予算額（案）``
    with ``令和6年度補正予算額``) is not a table."""
    bare_cols: dict[int, Column] = {}
    labelled: dict[int, Column] = {}
    for i in range(page.start, page.end):
        line = doc.lines[i]
        if line.blank:
            continue
        col = column_of(line.text)
        if col is None:
            continue
        year, stage = col
        into = labelled if stage else bare_cols
        if year in into:
            continue
        if stage is None:
            if context and year == context[1]:
                stage = context[0]
            elif context and year == context[1] - 1:
                stage = "previous_year_budget"
            else:
                stage = "budget"
        into[year] = Column(year, stage, line.printed.strip(), i)
    found = bare_cols if len(bare_cols) >= 2 else labelled if len(labelled) >= 2 and page_unit(doc, page) else {}
    return [found[y] for y in sorted(found)]


def page_unit(doc: Doc, page: Page) -> int | None:
    """Yen per unit of the page's ``(単位:億円)`` header, or None."""
    for i in range(page.start, page.end):
        m = _UNIT.match(doc.lines[i].text.strip())
        if m:
            return UNIT_YEN[m["unit"]]
    return None


def is_unit_header(text: str) -> bool:
    """``(単位:億円)``."""
    return bool(_UNIT.match(text.strip()))


def bare_number(text: str, unit: int) -> int | None:
    """Yen of a line that is only a number (``14,221``) under a unit header, else None."""
    m = BARE_NUMBER.match(text.strip())
    if not m:
        return None
    whole = int(m["n"].replace(",", ""))
    frac = m["f"] or ""
    return whole * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)


def is_row_name(text: str) -> bool:
    """A table row's name: a noun phrase, not a header, a unit or a difference."""
    s = text.strip()
    if not s or column_of(s) or is_unit_header(s) or DIFFERENCE_LINE.match(s) or _HEADER_WORDS.search(s):
        return False
    if yen_matches(s) or BARE_NUMBER.match(s):
        return False
    return is_heading_like(s) or (len(s) <= 30 and "。" not in s and strip_enum(s) != s)


def row_name(doc: Doc, i: int, page: Page) -> tuple[str, set[int]]:
    """The printed name of the row starting at line ``i`` and the lines it spans: a wrapped name
    (next line a short continuation) is joined, and an open bracket is closed by the short line
    within the next six that balances it (the text layer prints it after the figures)."""
    lines = doc.lines
    name = strip_enum(lines[i].printed.strip())
    used = {i}
    j = doc.next_nonblank(i)
    if (j is not None and j < page.end and not yen_matches(lines[j].text) and is_row_name(lines[j].text)
            and strip_enum(lines[j].text.strip()) == lines[j].text.strip() and len(lines[j].text.strip()) <= 12
            and name.count("(") + name.count("（") <= name.count(")") + name.count("）")):
        name += lines[j].printed.strip()
        used.add(j)
    if name.count("(") + name.count("（") > name.count(")") + name.count("）"):
        for k in range(i + 1, min(page.end, i + 8)):
            s = lines[k].text.strip()
            if s and len(s) <= 12 and s.endswith((")", "）")) and "(" not in s and not yen_matches(s):
                name += lines[k].printed.strip()
                used.add(k)
                break
    return name.strip(), used
