"""Program periods: 事業実施期間 / 事業期間 (and 事業開始年度 for a start year only).

Accepted values: ``令和3年度～令和11年度``, ``～令和9年度``, ``令和3年度～``, ``令和4～8年度`` (one era
for both ends), ``H30年度～R4年度``, ``2016~2025年度``, ``平成元年度～``, ``令和3年度～(10年)``
(a start and a duration). The value may follow the label on the same line (``事業期間：…``,
``（事業期間：…）``) or stand on the next line under a lone label. A label whose value names no
fiscal year (``事業期間：最大10年間``) goes to the report.
"""

from __future__ import annotations

import re

from stikg.core.normalize import ERA_BASE
from stikg.extract.document import Doc
from stikg.extract.records import PeriodRecord, ReportRow

NO_YEARS = "period without fiscal years"

_LABEL = re.compile(r"(?P<label>事業実施期間|事業期間|実施期間|事業開始年度|開始年度|事業開始時期)")
_ERA = r"(?:令和|平成|昭和|R|H|S)"
_YEAR = r"(?:(?P<@w>(?:19|20)\d\d)|(?P<@era>" + _ERA + r")\s*(?P<@y>\d{1,2}|元))\s*(?:年度|年)?"
# the end of a range may share the start's era: 令和4～8年度
_END = r"(?:(?P<ew>(?:19|20)\d\d)|(?P<eera>" + _ERA + r")?\s*(?P<ey>\d{1,2}|元))\s*(?:年度|年)?"
_RANGE = re.compile(r"(?P<start>" + _YEAR.replace("@", "s") + r")?\s*[~〜～\-－]\s*(?P<end>" + _END + r")?")
_SINGLE = re.compile(_YEAR.replace("@", "s"))
_DURATION = re.compile(r"\(\s*(\d{1,2})\s*年(?:間)?\s*\)")
_ERA_NAME = {"R": "令和", "H": "平成", "S": "昭和"}


def _year(era: str | None, y: str | None, west: str | None, default_era: str | None) -> int | None:
    if west:
        return int(west)
    if y is None:
        return None
    era = _ERA_NAME.get(era, era) if era else default_era
    if era is None:
        return None
    n = 1 if y == "元" else int(y)
    return ERA_BASE[era] + n


def parse_period(value: str) -> tuple[int | None, int | None]:
    """(start, end) fiscal years of a printed period; ``(None, None)`` when no year is printed."""
    m = _RANGE.search(value)
    if m and (m["start"] or m["end"]):
        s_era = _ERA_NAME.get(m["sera"], m["sera"]) if m["sera"] else None
        e_era = _ERA_NAME.get(m["eera"], m["eera"]) if m["eera"] else None
        start = _year(m["sera"], m["sy"], m["sw"], e_era)
        end = _year(m["eera"], m["ey"], m["ew"], s_era)
        if start is not None and end is None:
            d = _DURATION.search(value[m.end():])
            if d:
                end = start + int(d.group(1)) - 1
        if start is not None and end is not None and end < start:
            return None, None
        return start, end
    m = _SINGLE.search(value)
    if m:
        return _year(m["sera"], m["sy"], m["sw"], None), None
    return None, None


class PeriodExtractor:
    """Finds period labels and reads their value."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.periods: list[PeriodRecord] = []
        self.report: list[ReportRow] = []

    def run(self) -> None:
        """Extract every period of the document."""
        lines = self.doc.lines
        for i, line in enumerate(lines):
            text = line.text
            m = _LABEL.search(text)
            if not m or "目標期間" in text:
                continue
            value = text[m.end():]
            if not re.match(r"\s*(?:[:：(]|$)", value):
                continue  # "事業期間を通じて…": the word in running text, not a label
            value = re.sub(r"^\s*[:：]?\s*", "", value)
            at = i
            if not re.search(r"\d|元", value):
                nxt = self.doc.next_nonblank(i, within=3)
                rest = value.strip(" )）")
                if rest or nxt is None:
                    self._report(i)
                    continue
                value, at = lines[nxt].text, nxt
            start, end = parse_period(value)
            if start is None and end is None:
                self._report(at)
                continue
            if m["label"] in ("事業開始年度", "開始年度", "事業開始時期"):
                end = None
            printed = lines[at].printed.strip()
            self.periods.append(PeriodRecord(self.doc.doc_id, at + 1, self.doc.line_program(at), start, end, printed))

    def _report(self, i: int) -> None:
        self.report.append(ReportRow(self.doc.doc_id, i + 1, self.doc.lines[i].printed.strip(), NO_YEARS))
