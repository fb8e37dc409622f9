"""Budget amounts of programs.

A line with a yen figure is one of:

* a **label line**: ``令和7年度予算額（案） 850億円``, ``（前年度予算額 847億円）``,
  ``令和4年度第2次補正予算額 1,449百万円``, ``NAME【令和6年度補正予算額 134億円】`` — each figure
  takes the stage and fiscal year of the label printed before it;
* an **item line**: ``- NAME X億円（Y億円）``, ``③NAME 14億円※（14億円）``, ``NAME：54億円``,
  ``①NAME（10.4億円）33拠点`` — the first figure is in the page's stage context, a following
  bracketed figure is the previous year's budget; the program is ``Page > NAME``;
* a **bare line**: ``92億円``, ``36億円）``, ``(3.0億円)`` — it takes the label pending from the
  header above (labels and figures printed on separate lines are paired in order), else the page
  context; a bracketed bare figure right under another figure is the previous year's budget;
* anything else is prose, a note (``※…``) or a per-project grant size (``最大7億円/年``,
  ``1件あたり10億円上限``, ``4千万円程度/課題/年``, lines under 支援規模/支援タイプ) and goes to the
  report with its reason, as do non-yen figures and approximate ones (``約``).

The stage context of a page is its last header label with a fiscal year (``令和7年度予算額（案）``),
else the document's (first header label of the document, else ``--kind``/``--fiscal-year``).
``（新規）`` marks a new program, ``（N年間）`` a multi-year fund (stage ``fund``, in the fiscal year
of a preceding ``令和N年度補正予算において…基金`` line when there is one), ``の内数`` a partial figure.

The module is one algorithm, kept whole although it is a little over 600 lines: a single pass over
each page's lines whose handlers (label, item, bare, note and comparison-table lines) all read and
advance one page state (:class:`_State`: pending labels, the stage context, the last item, grant and
fund blocks) and pair figures with what came before them. Split apart, each part would need that
state and the pairing rules of the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from stikg.core.normalize import era_year, fold
from stikg.extract.document import (
    LABEL_RE,
    MAIN_STAGES,
    Doc,
    Page,
    amount_value,
    bare,
    core_of,
    is_heading_like,
    is_label_only,
    is_section_heading,
    is_subtitle,
    label_stage,
    label_year,
    nonyen_matches,
    strip_enum,
    yen_matches,
)
from stikg.extract.document import labels as find_labels
from stikg.extract.page_names import same_program
from stikg.extract.pages import TANTOU_RE
from stikg.extract.records import AmountRecord, ReportRow
from stikg.extract.tables import (
    DIFFERENCE_LINE,
    UNIT_YEN,
    Column,
    bare_number,
    column_of,
    is_row_name,
    is_unit_header,
    page_unit,
    row_name,
    table_columns,
)

GRANT = "per-project grant size, not a program budget"
PROSE = "amount in running text"
NOTE = "amount in a note (※)"
APPROX = "approximate amount (約)"
NONYEN = "non-yen amount"
NOCONTEXT = "no budget stage or fiscal year for amount"
BADAMOUNT = "unparseable amount"
EXTRA = "extra amount on an item line"
COMPARISON = "figure in a before→after comparison"
DIFFERENCE = "difference from the previous year, not a budget"
STATISTIC = "statistic, not a program budget"
TOO_LARGE = 10**12  # no single program figure reaches 1兆円; such figures are statistics

_GRANT_HEAD = re.compile(r"^(支援タイプ|支援規模|支援額|事業規模|採択件数|支援件数|採択規模|支援内容|支援対象経費|研究費の規模)")
_GRANT_BEFORE = re.compile(
    r"(最大|上限|あたり|当たり|1件|1課題|1機関|1拠点|1チーム|1人|年間|総額|毎年|支援額|支援規模|研究費|研究開発費|"
    r"事業規模|支給額|事業費|施設整備|機関への支援|助成額|配分額|委託費|\d\s*[~〜～-]|[×x])\s*[:：]?\s*$"
)
_GRANT_AFTER = re.compile(r"^\s*(?:[/／]|程度|以下|以内|上限|まで|を上限|[×x]|[~〜～-]\s*\d|を基準)")
_ARROW = re.compile(r"→\s*$")
_ARROW_AFTER = re.compile(r"^\s*→")
_STATISTIC = re.compile(r"^(?:19|20)\d\d\s*年(?!度)")  # "2022年輸出総額 (98兆円)": a statistic
_APPROX_BEFORE = re.compile(r"(約|およそ|概ね)\s*$")
_DIFF_BEFORE = re.compile(r"(増減額?|増額|減額|差額|対前年度(?:比)?|前年度比|[+＋▲△])\s*[:：]?\s*$")
_NEW_MARK = re.compile(r"\s*(?:【\s*新規\s*】|\(\s*新規\s*\)|（\s*新規\s*）)\s*$")
_YEARS_AFTER = re.compile(r"^\s*\(\s*(\d+)\s*年間\s*\)")
_NEW_AFTER = re.compile(r"^\s*(?:\*\*)?\s*(?:\(\s*新規\s*\)|【\s*新規\s*】)")
_FIELD = re.compile(r"^[^:：]{1,15}[:：]")
_GROUP = re.compile(r"^\s*\(\s*(\d{1,2})\s*\)\s*(.+)$")
_TRAIL_OK = re.compile(r"^(?:※.*|\(?\s*新規\s*\)?|\(?\d+\s*年間\)?.*|\d+\s*(?:拠点|件|課題|機関|人).*|\**)$")
_PARTICLES = ("の", "を", "に", "で", "が", "は", "と", "から", "まで", "より", "へ", "として")
# "7年度補正予算で", "令和4年度第2次補正予算", "R6補正" in a note
_NOTE_SUPPLEMENTARY = re.compile(
    r"(?:(?P<era>令和|平成)\s*)?(?P<y>\d{1,2}|元)\s*年度\s*(?:[(（]?\s*第\s*(?P<rn>\d)\s*次\s*[)）]?\s*)?補正予算"
)
_YEAR_PAREN_AFTER = re.compile(r"^\s*\(\s*(令和|平成)\s*(\d{1,2}|元)\s*年度\s*\)")


@dataclass
class _Label:
    stage: str
    fy: int | None
    round: int | None
    text: str
    index: int


@dataclass
class _State:
    page: Page
    main: tuple[str, int] | None = None
    last_any: tuple[str, int] | None = None
    pending: list[_Label] = field(default_factory=list)
    last_amount_index: int = -10
    last_amount_key: tuple[str, int | None] | None = None
    item: tuple[int, str] | None = None  # (line index, program name) of the last item/heading
    group: str | None = None
    grant_until: int = -1
    fund: tuple[int, int] | None = None  # (fiscal year, until line index)
    unfigured: list[tuple[int, str]] = field(default_factory=list)  # bulleted items still without a figure


class AmountExtractor:
    """Runs over the pages of a :class:`Doc` and collects amounts and report rows."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.amounts: list[AmountRecord] = []
        self.report: list[ReportRow] = []

    # ------------------------------------------------------------------ helpers
    def _report(self, i: int, reason: str) -> None:
        self.report.append(ReportRow(self.doc.doc_id, i + 1, self.doc.lines[i].printed.strip(), reason))

    def _context(self, st: _State) -> tuple[str, int] | None:
        if st.main:
            return st.main
        ctx = st.page.context
        if ctx is not None:
            return (ctx.stage, ctx.fiscal_year)
        if self.doc.stage and self.doc.fiscal_year:
            return (self.doc.stage, self.doc.fiscal_year)
        return st.last_any

    def _ref_year(self, st: _State) -> int | None:
        ctx = self._context(st)
        return ctx[1] if ctx else self.doc.fiscal_year

    def _program(self, st: _State, name: str | None) -> str:
        page = st.page
        parent = page.program or ""
        if not name:
            return parent
        if page.is_summary:
            for p in self.doc.pages:
                if p.title and p is not page and same_program(name, p.title):
                    return p.program or p.title
            return name
        if st.group and name != st.group:
            name = f"{st.group} > {name}"
        return f"{parent} > {name}" if parent and name != parent else name

    def _add(self, i: int, st: _State, m: re.Match, stage: str, fy: int | None, program: str,
             note: str, round_: int | None = None) -> None:
        line = self.doc.lines[i]
        try:
            yen = amount_value(m)
        except ValueError as exc:
            self._report(i, f"{BADAMOUNT}: {exc}")
            return
        after = line.text[m.end():]
        fund_years = None
        ym = _YEARS_AFTER.match(after)
        if ym:
            fund_years = int(ym.group(1))
            stage = "fund"
            if st.fund and i <= st.fund[1]:
                fy = st.fund[0]
            note = f"{note}; multi-year fund ({fund_years}年間)".lstrip("; ")
        is_new = bool(_NEW_AFTER.match(after))
        if fy is None:
            self._report(i, NOCONTEXT)
            return
        text = line.printed[m.start(): m.end()].strip()
        self.amounts.append(AmountRecord(
            doc=self.doc.doc_id, line=i + 1, program=program, fiscal_year=fy, stage=stage, amount_yen=yen,
            amount_text=text, partial=bool(m["partial"]), note=note, supplementary_round=round_,
            fund_years=fund_years, is_new=is_new,
        ))
        st.last_amount_index = i
        st.last_amount_key = (stage, fy)

    def _prev_year(self, ref: int | None) -> int | None:
        return ref - 1 if ref is not None else None

    # ------------------------------------------------------------------ per line
    def run(self) -> None:
        """Extract every page."""
        for page in self.doc.pages:
            st = _State(page=page, pending=[])
            ctx = (page.context.stage, page.context.fiscal_year) if page.context is not None else None
            columns = table_columns(self.doc, page, ctx)
            if columns:
                self._table_page(st, columns, page_unit(self.doc, page))
                continue
            for i in range(page.start, page.end):
                if not self.doc.lines[i].blank:
                    self._line(i, st)

    # ------------------------------------------------------------------ comparison tables
    def _table_page(self, st: _State, columns: list[Column], unit: int | None) -> None:
        """A comparison-table page (:mod:`stikg.extract.tables`): figures fill the year columns."""
        page = st.page
        lines = self.doc.lines
        row: str | None = None
        filled = 0
        skip: set[int] = set()
        for i in range(page.start, page.end):
            line = lines[i]
            s = line.text.strip()
            if row is not None:
                self.doc.row_programs[i] = row
            if line.blank or i in skip or column_of(s) or is_unit_header(s):
                continue
            if DIFFERENCE_LINE.match(s):
                self._report(i, DIFFERENCE)
                continue
            if s.startswith(("※", "*")):
                self._note_line(i, st, row or page.program or "")
                continue
            figures: list[tuple[int, str, re.Match | None]] = []
            number = bare_number(s, unit) if unit else None
            if number is not None:
                figures.append((number, line.printed.strip(), None))
            else:
                yens = yen_matches(line.text)
                rest = line.text
                for m in yens:
                    rest = rest.replace(m.group(0), "")
                if yens and (re.sub(r"[\s()（）+＋▲△\-.\d%％]", "", rest) == ""):
                    for m in yens:
                        try:
                            figures.append((amount_value(m), line.printed[m.start(): m.end()].strip(), m))
                        except ValueError as exc:
                            self._report(i, f"{BADAMOUNT}: {exc}")
                elif yens:
                    for _ in yens:
                        self._report(i, PROSE)
                    continue
            if figures:
                for yen, text, fm in figures:
                    if row is None or filled >= len(columns):
                        self._report(i, EXTRA if row else NOCONTEXT)
                        continue
                    col = columns[filled]
                    filled += 1
                    self.amounts.append(AmountRecord(
                        doc=self.doc.doc_id, line=i + 1, program=row, fiscal_year=col.fiscal_year, stage=col.stage,
                        amount_yen=yen, amount_text=text, partial=bool(fm and fm["partial"]),
                        note=f"table column {col.label} (line {col.line + 1})"
                        + (f"; unit {self._unit_name(unit)}" if fm is None else ""),
                    ))
                    st.last_amount_index = i
                continue
            if is_row_name(s):
                row, used = row_name(self.doc, i, page)
                skip |= used
                filled = 0
                self.doc.row_programs[i] = row

    @staticmethod
    def _unit_name(unit: int | None) -> str:
        return next((k for k, v in UNIT_YEN.items() if v == unit), "")

    # ------------------------------------------------------------------ notes (※)
    def _note_line(self, i: int, st: _State, program: str) -> None:
        """A ``※`` note: ``※ この他、7年度補正予算で300億円を計上`` is that year's supplementary
        amount of the program it sits under; ``※外に…X億円`` an amount outside the figure above;
        ``※…合計X億円`` a total; any other figure stays in the report."""
        line = self.doc.lines[i]
        text = line.text
        yens = yen_matches(text)
        if not yens:
            return
        if not program:
            last = self.amounts[-1] if self.amounts and i - st.last_amount_index <= 4 else None
            program = last.program if last else (st.item[1] if st.item else st.page.program or "")
        prev_end = 0
        for m in yens:
            before = text[prev_end: m.start()]
            prev_end = m.end()
            sm = next(reversed(list(_NOTE_SUPPLEMENTARY.finditer(before))), None)  # the label nearest the figure
            try:
                yen = amount_value(m)
            except ValueError as exc:
                self._report(i, f"{BADAMOUNT}: {exc}")
                continue
            printed = line.printed[m.start(): m.end()].strip()
            if sm is not None:
                try:
                    fy = era_year(sm["era"] or "令和", 1 if sm["y"] == "元" else int(sm["y"]))
                except ValueError:
                    self._report(i, NOTE)
                    continue
                rn = int(sm["rn"]) if sm["rn"] else None
                note = "※ supplementary amount noted under the program" + (f" (第{rn}次補正)" if rn else "")
                self.amounts.append(AmountRecord(
                    doc=self.doc.doc_id, line=i + 1, program=program, fiscal_year=fy, stage="supplementary",
                    amount_yen=yen, amount_text=printed, partial=bool(m["partial"]), note=note, supplementary_round=rn,
                ))
                continue
            meaning = None
            if "外に" in text[: m.start()] or "外数" in text:
                meaning = "※外に: an amount outside (not included in) the program's figure"
            elif "合計" in text[max(0, m.start() - 8): m.start()]:
                meaning = "※合計: a total together with other amounts"
            ctx = self._context(st)
            if meaning is None or ctx is None or _APPROX_BEFORE.search(text[max(0, m.start() - 4): m.start()]):
                self._report(i, NOTE)
                continue
            self.amounts.append(AmountRecord(
                doc=self.doc.doc_id, line=i + 1, program=program, fiscal_year=ctx[1], stage=ctx[0], amount_yen=yen,
                amount_text=printed, partial=bool(m["partial"]), note=meaning,
            ))

    def _line(self, i: int, st: _State) -> None:
        line = self.doc.lines[i]
        text = line.text
        s = text.strip()
        if st.pending:
            st.pending = [p for p in st.pending if i - p.index <= 10]
        if _GRANT_HEAD.match(bare(s)):
            st.grant_until = i + 8
        elif i <= st.grant_until and strip_enum(s) == s and not _FIELD.match(s):
            st.grant_until = -1  # the block of per-project figures is a list of items or fields
        labels = find_labels(text)
        yens = yen_matches(text)
        if "基金" in s and any(label_stage(m) == "supplementary" and label_year(m) for m in labels) and not yens:
            st.fund = (next(y for y in map(label_year, labels) if y), i + 8)
        if not yens:
            self._no_amount_line(i, st, s, labels)
            return
        for _ in nonyen_matches(text):
            self._report(i, NONYEN)
        if s.startswith(("※", "*")):
            self._note_line(i, st, "")
            return
        keep = []
        for m in yens:
            reason = self._skip_reason(text, m, i, st)
            if reason:
                self._report(i, reason)
            else:
                keep.append(m)
        if not keep:
            return
        if labels:
            self._label_line(i, st, labels, keep)
        else:
            self._plain_line(i, st, keep)

    def _skip_reason(self, text: str, m: re.Match, i: int, st: _State) -> str | None:
        before = text[max(0, m.start() - 14): m.start()]
        after = text[m.end(): m.end() + 10]
        if _APPROX_BEFORE.search(before):
            return APPROX
        if _DIFF_BEFORE.search(before):
            return DIFFERENCE
        if _ARROW.search(before) or _ARROW_AFTER.match(after):
            return COMPARISON
        if _GRANT_BEFORE.search(before) or _GRANT_AFTER.match(after) or i <= st.grant_until:
            return GRANT
        return None

    def _no_amount_line(self, i: int, st: _State, s: str, labels: list[re.Match]) -> None:
        for _ in nonyen_matches(s):
            self._report(i, NONYEN)
        if labels and is_label_only(s):
            for m in labels:
                stage, fy = label_stage(m), label_year(m)
                if stage in MAIN_STAGES and fy is not None:
                    st.main = (stage, fy)
                if fy is not None:
                    st.last_any = (stage, fy)
                st.pending.append(_Label(stage, fy, _round(m), m.group(0).strip(), i))
            return
        if bare(s) == "新規" and i - st.last_amount_index <= 3 and self.amounts:
            last = self.amounts[-1]
            if last.line == st.last_amount_index + 1 and not last.is_new:
                self.amounts[-1] = replace(last, is_new=True)
            return
        gm = _GROUP.match(s)
        if gm and is_heading_like(gm.group(2)):
            st.group = _group_name(self.doc.lines[i].printed, gm)
            return
        if TANTOU_RE.search(s):
            return
        if is_heading_like(s) and not is_section_heading(s) and not is_subtitle(s, latin=False) and i != st.page.title_index:
            st.item = (i, self._program(st, self._heading_name(i)))
            if strip_enum(s) != s:
                st.unfigured.append(st.item)  # a bulleted item: its figure may come later (two-column text)
            if ":" not in s and not _GRANT_HEAD.match(bare(s)):
                st.grant_until = -1  # a new (sub-)program heading ends a grant-size block

    def _heading_name(self, i: int) -> str:
        cell = self.doc.cell_before(i + 1)
        name = cell[1] if cell else self.doc.lines[i].printed
        return _core_printed(name)

    def _label_line(self, i: int, st: _State, labels: list[re.Match], yens: list[re.Match]) -> None:
        line = self.doc.lines[i]
        text = line.text
        s = text.strip()
        if "。" in s and len(s) > 40:
            for _ in yens:
                self._report(i, PROSE)
            return
        first = min(labels[0].start(), yens[0].start())
        prefix = text[:first]
        name = _core_printed(line.printed[:first])
        if name.startswith("うち"):
            part = name[2:].strip() + "予算"
            program = f"{st.page.program} > {part}" if st.page.program else part
        elif name and i == st.page.title_index:
            program = st.page.program or name
        elif name and not is_heading_like(bare(prefix)):
            for _ in yens:
                self._report(i, PROSE)
            return
        elif name:
            program = self._program(st, name)
            st.item = (i, program)
        elif st.item and self.doc.prev_nonblank(i) == st.item[0]:
            program = st.item[1]
        else:
            program = st.page.program or ""
        used: set[int] = set()
        prev_end = 0
        prev_key: tuple[str, int | None] | None = None
        for m in yens:
            lab = None
            for k, lm in enumerate(labels):
                if k not in used and prev_end <= lm.start() < m.start():
                    lab = (k, lm)
            if lab:
                used.add(lab[0])
                lm = lab[1]
                stage, fy = label_stage(lm), label_year(lm)
                note = lm.group(0).strip()
                if stage == "previous_year_budget":
                    pm = _YEAR_PAREN_AFTER.match(text[lm.end():])
                    if pm:
                        written = LABEL_RE.search(f"{pm.group(1)}{pm.group(2)}年度予算額")
                        fy = label_year(written) if written else None
                    else:
                        ref = prev_key[1] if prev_key and prev_key[0] in MAIN_STAGES else self._ref_year(st)
                        fy = self._prev_year(ref)
                elif fy is None:
                    fy = self._ref_year(st)
                if stage in MAIN_STAGES and label_year(lm) is not None and fy is not None:
                    st.main = (stage, fy)
                if fy is not None and stage != "previous_year_budget":
                    st.last_any = (stage, fy)
                self._add(i, st, m, stage, fy, program, note, _round(lm))
                prev_key = (stage, fy)
            elif prev_key and "(" in text[prev_end: m.start()]:
                ref = prev_key[1] if prev_key[0] in MAIN_STAGES else self._ref_year(st)
                self._add(i, st, m, "previous_year_budget", self._prev_year(ref), program,
                          "bracketed figure = 前年度予算額")
                prev_key = ("previous_year_budget", self._prev_year(ref))
            elif st.pending:
                p = st.pending.pop(0)
                fy = p.fy if p.fy is not None else self._ref_year(st)
                if p.stage == "previous_year_budget" and p.fy is None:
                    fy = self._prev_year(self._ref_year(st))
                self._add(i, st, m, p.stage, fy, program, p.text, p.round)
                prev_key = (p.stage, fy)
            else:
                ctx = self._context(st)
                if ctx is None:
                    self._report(i, NOCONTEXT)
                else:
                    self._add(i, st, m, ctx[0], ctx[1], program, "stage and year from the page header")
                    prev_key = ctx
            prev_end = m.end()

    def _plain_line(self, i: int, st: _State, yens: list[re.Match]) -> None:
        line = self.doc.lines[i]
        text = line.text
        first = yens[0]
        name = _core_printed(line.printed[: first.start()])
        trailing = text[yens[-1].end():]
        if name:
            folded_name = bare(text[: first.start()].rstrip(" (（【「:：-—–"))
            if not _item_name_ok(folded_name) or not _trailing_ok(trailing):
                for _ in yens:
                    self._report(i, PROSE)
                return
            self._item_line(i, st, name, yens)
        else:
            if not _trailing_ok(trailing):
                for _ in yens:
                    self._report(i, PROSE)
                return
            self._bare_line(i, st, yens)

    def _item_line(self, i: int, st: _State, name: str, yens: list[re.Match]) -> None:
        text = self.doc.lines[i].text
        if _STATISTIC.search(fold(name)) or _too_large(yens):
            for _ in yens:
                self._report(i, STATISTIC)
            return
        is_new = bool(_NEW_MARK.search(name))
        name = _NEW_MARK.sub("", name).strip()
        if name.startswith("うち"):
            name = name[2:].strip()
        program = self._program(st, name)
        st.item = (i, program)
        ctx = self._context(st)
        if ctx is None:
            for _ in yens:
                self._report(i, NOCONTEXT)
            return
        self._add(i, st, yens[0], ctx[0], ctx[1], program, "stage and year from the page header")
        if is_new and self.amounts and self.amounts[-1].line == i + 1:
            self.amounts[-1] = replace(self.amounts[-1], is_new=True)
        for prev, m in zip(yens, yens[1:], strict=False):
            between = text[prev.end(): m.start()]
            if "(" in between:
                ref = ctx[1] if ctx[0] in MAIN_STAGES else self._ref_year(st)
                self._add(i, st, m, "previous_year_budget", self._prev_year(ref), program,
                          "bracketed figure = 前年度予算額")
            else:
                self._report(i, EXTRA)

    def _bare_line(self, i: int, st: _State, yens: list[re.Match]) -> None:
        text = self.doc.lines[i].text
        s = text.strip()
        if _too_large(yens):
            for _ in yens:
                self._report(i, STATISTIC)
            return
        program = None
        prev_key: tuple[str, int | None] | None = None
        for n, m in enumerate(yens):
            if st.pending:
                p = st.pending.pop(0)
                fy = p.fy if p.fy is not None else self._ref_year(st)
                if p.stage == "previous_year_budget" and p.fy is None:
                    fy = self._prev_year(self._ref_year(st))
                prog = program or st.page.program or ""
                self._add(i, st, m, p.stage, fy, prog, p.text, p.round)
                program = prog
                prev_key = (p.stage, fy)
                continue
            bracketed = "(" in text[yens[n - 1].end() if n else 0: m.start()] or (
                n == 0 and s.startswith("(")
            ) or (n == 0 and len(yens) == 1 and s.endswith(")") and "(" not in s)  # "2,379億円)": its "(" was lost
            if program is None:
                program = self._bare_program(i, st)
            ref_key = prev_key
            if ref_key is None and n == 0 and bracketed and self.doc.prev_nonblank(i) == st.last_amount_index:
                ref_key = st.last_amount_key
            if bracketed and ref_key is not None and ref_key[0] != "previous_year_budget":
                ref = ref_key[1] if ref_key[0] in MAIN_STAGES else self._ref_year(st)
                if n == 0 and self.amounts:
                    program = self.amounts[-1].program
                self._add(i, st, m, "previous_year_budget", self._prev_year(ref), program,
                          "bracketed figure = 前年度予算額")
                prev_key = ("previous_year_budget", self._prev_year(ref))
                continue
            ctx = self._context(st)
            if ctx is None:
                self._report(i, NOCONTEXT)
                continue
            self._add(i, st, m, ctx[0], ctx[1], program, "stage and year from the page header")
            prev_key = ctx

    def _bare_program(self, i: int, st: _State) -> str:
        program = self._bare_program_of(i, st)
        # two-column slide text: "○ A" / "○ B [41億円]" / "[1,548億円]" — B has its figure, the bare one is A's
        figured = {a.program for a in self.amounts if a.line - 1 >= st.page.start}
        st.unfigured = [(k, p) for k, p in st.unfigured if p not in figured]
        if program in figured and st.unfigured and i - st.unfigured[0][0] <= 6:
            return st.unfigured.pop(0)[1]
        return program

    def _bare_program_of(self, i: int, st: _State) -> str:
        cell = self.doc.cell_before(i)
        if cell is not None:
            start, joined = cell
            folded = "".join(self.doc.lines[k].text.strip() for k in range(start, i) if not self.doc.lines[k].blank)
            if (
                is_heading_like(bare(folded))
                and not is_subtitle(folded, latin=False)
                and not yen_matches(folded)
                and st.page.title_index not in range(start, i)
                and not _GRANT_HEAD.match(bare(folded))
            ):
                return self._program(st, _core_printed(joined))
        if st.item and self.doc.prev_nonblank(i) == st.item[0]:
            return st.item[1]
        return self._program(st, st.group) if st.group else (st.page.program or "")


# ---------------------------------------------------------------------- small helpers


def _too_large(yens: list[re.Match]) -> bool:
    for m in yens:
        try:
            if amount_value(m) >= TOO_LARGE:
                return True
        except ValueError:
            continue
    return False


def _round(m: re.Match) -> int | None:
    return int(m["rn"]) if m["rn"] else None


def _core_printed(printed: str) -> str:
    """A printed name without enumerators, wrapping brackets, trailing colons/open brackets."""
    return core_of(printed)


def _group_name(printed: str, gm: re.Match) -> str:
    # drop the enumerator and a trailing "(事業期間：…)" note
    name = _core_printed(printed)
    name = re.sub(r"[(（]\s*(事業期間|期間)[^)）]*[)）]\s*$", "", name).strip()
    return name


def _item_name_ok(name: str) -> bool:
    if not name or len(name) > 70 or "。" in name:
        return False
    if name.endswith(_PARTICLES) and not name.endswith("等"):
        return False
    if "、" in name and len(name) > 30:
        return False
    return is_heading_like(name) or len(name) <= 40


def _trailing_ok(trailing: str) -> bool:
    t = trailing.strip()
    t = re.sub(r"^[\s)）\]】]*", "", t).strip()
    if not t:
        return True
    if _TRAIL_OK.match(t):
        return True
    if t.startswith(_PARTICLES):
        return False
    return len(t) <= 6
