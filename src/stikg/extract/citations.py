"""Strategy and plan citations.

Forms of the genre, all handled:

* quoted: ``「経済財政運営と改革の基本方針2024」``, ``「…構想会議」中間とりまとめ``,
  ``【統合イノベーション戦略2024（令和6年6月4日閣議決定）】`` — a date paren after a list of quoted
  names (``「A」、「B」（令和6年6月閣議決定）``) dates every name of the list;
* unquoted with a decision paren: ``健康・医療戦略（令和2年3月閣議決定）に基づき``,
  ``…基本方針2024(令和6年6月閣議決定)``, a heading line followed by a date line
  ``(令和6年6月4日閣議決定)``, and attributions ``(令和2年7月、統合イノベーション戦略2020)``;
* excerpts: ``令和５年１月13日ライフサイエンス委員会（第105回）資料2-2より抜粋`` → the council's
  material, dated, with the council as deciding body;
* plain mentions of a strategy the same document cites elsewhere (``医療機器基本計画の重点分野``).

A quoted name counts when it reads as a strategy or plan (ends in 戦略, 計画, 方針, 指針, プラン,
とりまとめ, 方策, 要綱, パッケージ, 提言, ロードマップ, フォローアップ, 声明 … after an edition year
or 第N期 marker), carries a dated decision, or is a strategy the registry knows. Lines quoting a
policy text under its heading (``<政策文書における記載>`` blocks) are the strategy's words, not the
program's: citations inside them go to the report. Canonical names come from the registry when it
resolves the name; otherwise the printed name without brackets, dates and edition noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stikg.core.normalize import fold, parse_date
from stikg.extract.document import Doc, is_heading_like, is_section_heading, key, printed_slice
from stikg.extract.pages import TANTOU_RE
from stikg.extract.records import CitationRecord, ReportRow
from stikg.inputs.registry import lookup

QUOTED_BODY = "citation inside quoted policy text"
UNREAD = "decision text without a recognisable strategy name"
BAD_DATE = "unreadable decision date"
_DECISION = re.compile(r"閣議決定|会議決定|本部決定|大臣決定|委員会決定|申合せ|閣議了解")

_DATE = (
    r"(?:(?:令和|平成|昭和)\s*(?:\d{1,2}|元)\s*年|(?:19|20)\d\d\s*年)"
    r"(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?"
)
DATE_RE = re.compile(_DATE)
PAREN_DATE_RE = re.compile(rf"\(\s*(?P<date>{_DATE})(?P<rest>[^()]*(?:\([^()]*\)[^()]*)*)\)")
_QUOTE_RE = re.compile(r"「(?P<q>[^「」]{2,120})」|『(?P<d>[^『』]{2,120})』|【(?P<b>[^【】]{2,160})】")
_AFTER_QUOTE = re.compile(r"^\s*(?P<suffix>中間とりまとめ|最終とりまとめ|とりまとめ|中間報告|最終報告|改訂版)?")
_LIST_JOIN = re.compile(r"^\s*(?:、|,|及び|並びに|や|と)\s*$")
_EXCERPT_RE = re.compile(r"より抜粋")
# a dated name cut by the end of an excerpt: ``NAME(令和7年6月1`` — the date keeps its whole units
_CUT_DATE_RE = re.compile(r"\(\s*(?P<date>(?:令和|平成)\s*(?:\d{1,2}|元)\s*年(?:\s*\d{1,2}\s*月)?)[^()]*$")
_KAI = re.compile(r"第\s*(\d+)\s*回")
_SHIRYO = re.compile(r"資料\s*(\d+(?:\s*[-‐－]\s*\d+)*)")
_EDITION_TAIL = re.compile(
    r"(?:\s*(?:19|20)\d\d\s*(?:年\s*)?(?:改訂版|改定版|版)?|\s*\(\s*第\s*\d+\s*[期次版回]\s*\)|\s*\((?:改訂版|改定版)\)"
    r"|について|等|\s+)$"
)
_EDITION_MARK = re.compile(r"\s*\(\s*第\s*\d+\s*[期次]\s*\)\s*$")
STRATEGY_SUFFIXES = (
    "戦略", "計画", "方針", "指針", "プラン", "とりまとめ", "取りまとめ", "方策", "要綱", "パッケージ",
    "提言", "ロードマップ", "フォローアップ", "声明", "宣言", "答申", "報告書", "中間報告", "最終報告",
    "申合せ", "申し合わせ", "ビジョン", "大綱", "基本法", "実施要領", "決議", "に関する法律",
)
# a law: "…に関する法律", "…のための法律", "…推進法" / "…基本法" …, optionally with its article
_LAW = re.compile(
    r"(?P<name>[一-龥ァ-ヴーA-Za-z0-9・]{2,}(?:[のにおけるするための及びび・等]{1,4}[一-龥ァ-ヴーA-Za-z0-9・]{1,20}){0,6}?"
    r"(?:に関する法律|のための法律|等に関する法律|(?<=[一-龥])(?:推進法|基本法|促進法|振興法|整備法|措置法|特別措置法|大学法|機構法)))"
    r"(?![案人])(?:\s*(?P<article>第\s*\d+\s*条(?:\s*の\s*\d+)?(?:\s*第\s*\d+\s*項)?))?"
)
# a policy basis named without brackets or date, recognised by what follows it: ``第4期海洋基本計画では``,
# ``南極地域観測計画に基づき``, ``G7仙台科学技術大臣会合の共同声明において`` (a meeting's statement keeps its の)
_CUED_SUFFIX = "|".join(sorted((x for x in (
    "戦略", "計画", "方針", "指針", "プラン", "大綱", "ビジョン", "ロードマップ", "声明", "宣言", "提言", "答申",
    "報告書", "とりまとめ", "取りまとめ", "パッケージ")), key=len, reverse=True))
_CUED = re.compile(
    r"(?P<name>(?:第\s*\d+\s*期)?[一-龥ァ-ヴーA-Za-z0-9・]{2,30}"
    r"(?:(?:(?<=会合)|(?<=会議)|(?<=本部)|(?<=サミット)|(?<=委員会))の[一-龥ァ-ヴー]{0,10})?"
    rf"(?:{_CUED_SUFFIX}))(?:\s*\(\s*第\s*\d+\s*期\s*\))?"
    r"(?=に基づ|では|において|を踏まえ|に沿|に掲げ|に位置付け|で示|に即し)"
)
_GENERIC_BASIS = re.compile(
    r"^(?:第\d+期)?(?:研究|開発|事業|実施|整備|観測|運用|年次|中長期|長期|全体|基本|個別|各種|推進|行動|工程|支援|育成|活用"
    r"|国家|政府|国|当該|本|同|各|新た|今後|将来|経営|成長|改革|総合|中間|最終|次期|現行)*"
    r"(?:戦略|計画|方針|指針|プラン|大綱|ビジョン|ロードマップ|声明|宣言|提言|答申|報告書|とりまとめ|取りまとめ|パッケージ)$"
)
_QUALIFIER = re.compile(r"(?<=決議)\s*\((?:衆|参|衆・参|衆参)\)$")
_STATE_POLICY = re.compile(r"国が(?:策定する|定める)(?P<name>[^、。「」()]{2,40}?(?:方針|指針|計画|戦略))")
_REPORT_END = ("とりまとめ", "取りまとめ", "報告", "報告書", "提言", "答申", "決議", "中間報告", "最終報告", "声明")
_PLAN_END = ("計画", "プラン", "ロードマップ")
_POLICY_END = ("方針", "指針", "要綱", "実施要領")


def basis_kind(name: str, body: str = "") -> str:
    """The kind of a policy basis from its printed name and deciding body: law, plan, policy,
    report, agreement, decision or strategy."""
    s = re.sub(r"\s*\([^()]*\)\s*$", "", fold(name).strip())
    for _ in range(3):
        t = _EDITION_TAIL.sub("", s)
        if t == s:
            break
        s = t
    if s.endswith(("法律", "法")) and not s.endswith(("方法", "手法", "技法", "憲法")) or "法律第" in s:
        return "law"
    if s.endswith(("申合せ", "申し合わせ")) or "申合せ" in body or "申し合わせ" in body:
        return "agreement"
    if s.endswith(_REPORT_END):
        return "report"
    if s.endswith(_PLAN_END):
        return "plan"
    if s.endswith(_POLICY_END) and not s.startswith("経済財政運営と改革の基本方針"):
        return "policy"
    if s.endswith(("決定",)) or (body.endswith(("本部決定", "会議決定", "委員会決定", "大臣決定"))
                                  and not s.endswith(STRATEGY_SUFFIXES)):
        return "decision"
    return "strategy"

_PROGRAM_SUFFIXES = ("事業", "プログラム", "プロジェクト", "拠点", "センター", "機関")
_BODY_OK = re.compile(r"(決定|申合せ|申し合わせ|決議|了承|会議|委員会|本部|部会|協議会)$")
_NAME_CHARS_BACK_STOP = set("、。」』】「『【:;※○●◆■□★✓→⇒➤<>〈〉《》\t ") | {"\u3000"}
_CONNECTOR = re.compile(r"^(?:及び|並びに|や|と|また|更に|さらに|、)+")
_BULLET = re.compile(r"^[\s\-–—・*○●◆◇■□★✓✔▷➡⇒→]+")
_PLAIN_NEXT_OK = re.compile(r"^(?:$|[、。」』）)\s]|の|に|を|で|と|や|等|が|は|へ|から|より|において|における)")


@dataclass
class _Found:
    index: int  # line index where the citation is printed
    start: int  # offset in the logical text (for ordering)
    name: str  # printed name (folded), without brackets
    text: str  # printed strategy text
    date: str
    body: str
    heading_cover: int  # characters of the logical text this citation (with its date) covers
    kind: str = ""  # basis kind when the rule that found it knows (law, policy); else classified by name
    article: str = ""


def is_strategy_name(name: str) -> bool:
    """Does a name read as a strategy, plan or policy document?"""
    s = fold(name).strip()
    if len(s) < 3:
        return False
    for _ in range(4):
        t = _EDITION_TAIL.sub("", s)
        if t == s:
            break
        s = t
    s = re.sub(r"\s*\([^()]{1,8}\)$", "", s)  # a qualifier: 附帯決議(衆・参)
    if s.endswith(_PROGRAM_SUFFIXES):
        return False
    return s.endswith(STRATEGY_SUFFIXES) or basis_kind(s) == "law"


def _date_body(date_text: str, rest: str) -> tuple[str, str]:
    try:
        date = parse_date(re.sub(r"\s", "", date_text))
    except ValueError:
        date = ""
    body = re.sub(r"^[\s、,]*", "", rest)
    body = re.sub(r"^[-~〜～]\s*\d+\s*日", "", body)
    body = re.sub(r"(改定|改訂|開催|策定|公表)", "", body).strip(" 、,")
    body = re.sub(r"\s+", "", body)
    if not _BODY_OK.search(body):
        body = ""
    return date, body


class CitationExtractor:
    """Finds citations line by line; see the module docstring for the rules."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.citations: list[CitationRecord] = []
        self.report: list[ReportRow] = []
        self.registry = doc.registry

    # ------------------------------------------------------------------ canonical names
    def canonical(self, name: str) -> str:
        """Registry name when it resolves; else the printed name, tidied."""
        printed = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", name).strip()
        printed = re.sub(r"等$", "", printed).strip()
        printed = _QUALIFIER.sub("", printed).strip()  # 附帯決議(衆・参): the houses are not the name
        entry = lookup(self.registry, "strategy", printed)
        if entry is not None:
            return entry.name_ja
        return printed

    # ------------------------------------------------------------------ logical lines
    def _logical(self, i: int) -> tuple[str, list[tuple[int, int]]]:
        """Line ``i`` joined with following lines while a bracket or paren is open (max 3), or with
        a following date-only line; returns the text and (offset, line index) pieces."""
        lines = self.doc.lines
        text = lines[i].text.rstrip()
        pieces = [(0, i)]
        j = i
        for _ in range(3):
            if not _unbalanced(text):
                break
            nxt = self.doc.next_nonblank(j, within=3)
            if nxt is None:
                break
            pieces.append((len(text), nxt))
            text += lines[nxt].text.strip()
            j = nxt
        else:
            return text, pieces
        if not PAREN_DATE_RE.search(text):
            nxt = self.doc.next_nonblank(j, within=3)
            if nxt is not None:
                cand = lines[nxt].text.strip()
                if PAREN_DATE_RE.fullmatch(cand) or (cand.startswith("(") and DATE_RE.match(cand[1:].strip())
                                                     and _unbalanced(cand)):
                    pieces.append((len(text), nxt))
                    text += cand
                    j = nxt
                    for _ in range(2):
                        if not _unbalanced(text):
                            break
                        nxt = self.doc.next_nonblank(j, within=2)
                        if nxt is None:
                            break
                        pieces.append((len(text), nxt))
                        text += lines[nxt].text.strip()
                        j = nxt
        return text, pieces

    # ------------------------------------------------------------------ detection
    def _find(self, i: int, text: str) -> list[_Found]:
        found: list[_Found] = []
        taken: list[tuple[int, int]] = []
        group: list[_Found] = []
        group_end = -1
        for m in _QUOTE_RE.finditer(text):
            inner = m.group("q") or m.group("d") or m.group("b")
            name, date, body = inner, "", ""
            pd = PAREN_DATE_RE.search(inner)
            if pd:
                name = inner[: pd.start()]
                date, body = _date_body(pd["date"], pd["rest"])
            name = name.strip()
            end = m.end()
            suffix = _AFTER_QUOTE.match(text[end:])
            printed_text = name
            if suffix and suffix["suffix"]:
                name = name + suffix["suffix"]
                printed_text = text[m.start(): end + suffix.end()].strip()
                end += suffix.end()
            if m.group("b") and not pd and not is_strategy_name(name):
                continue
            after = text[end:]
            pd2 = None
            mm = re.match(r"^\s*(?:等)?\s*", after)
            rest_start = end + (mm.end() if mm else 0)
            cand = PAREN_DATE_RE.match(text, rest_start)
            if cand and not date:
                pd2 = cand
                date, body = _date_body(cand["date"], cand["rest"])
            dated = bool(body) or date.count("-") >= 1
            if not (is_strategy_name(name) or (dated and m.group("b") is None) or self._known(name)):
                continue
            if not name:
                continue
            f = _Found(i, m.start(), name, printed_text, date, body, 0)
            cover_end = pd2.end() if pd2 else end
            f.heading_cover = cover_end - m.start()
            # a list 「A」、「B」（date）: the date dates every undated member
            if group and _LIST_JOIN.match(text[group_end:m.start()]):
                group.append(f)
            else:
                group = [f]
            if date:
                for g in group:
                    if not g.date:
                        g.date, g.body = date, body
            group_end = cover_end
            found.append(f)
            taken.append((m.start(), cover_end))
        # unquoted NAME(date …) and (date、NAME)
        for pm in PAREN_DATE_RE.finditer(text):
            if any(a <= pm.start() < b for a, b in taken):
                continue
            rest = pm["rest"].strip()
            if rest.startswith(("、", ",")) and "「" not in rest:
                name = rest.lstrip("、, ").strip()
                if is_strategy_name(name) or self._known(name):
                    date, _ = _date_body(pm["date"], "")
                    found.append(_Found(i, pm.start(), name, name, date, "", pm.end() - pm.start()))
                    taken.append((pm.start(), pm.end()))
                continue
            start = _name_start(text, pm.start())
            if start is None:
                continue
            name = _CONNECTOR.sub("", text[start: pm.start()].strip())
            if not name or len(name) < 3:
                continue
            date, body = _date_body(pm["date"], pm["rest"])
            if not (is_strategy_name(name) or self._known(name) or (body.endswith("決定") and len(name) >= 6)):
                continue
            found.append(_Found(i, start, name, name, date, body, pm.end() - start))
            taken.append((start, pm.end()))
        cut = _CUT_DATE_RE.search(text) if _unbalanced(text) else None
        if cut and not any(a <= cut.start() < b for a, b in taken):
            start = _name_start(text, cut.start())
            name = _CONNECTOR.sub("", text[start: cut.start()].strip()) if start is not None else ""
            if start is not None and len(name) >= 3 and (is_strategy_name(name) or self._known(name)):
                date, _ = _date_body(cut["date"], "")
                found.append(_Found(i, start, name, text[start:].strip(), date, "", len(text) - start))
                taken.append((start, len(text)))
        found.extend(self._laws_and_state_policies(i, text, taken))
        return found

    def _known(self, name: str) -> bool:
        return lookup(self.registry, "strategy", name) is not None

    def _excerpt(self, i: int) -> _Found | None:
        """``…資料2-2より抜粋`` (joined with the dated line above when the date is there)."""
        lines = self.doc.lines
        text = lines[i].text.strip()
        m = _EXCERPT_RE.search(text)
        if not m:
            return None
        start_index = i
        source = text[: m.start()]
        if not DATE_RE.search(source):
            prev = self.doc.prev_nonblank(i, within=2)
            if prev is not None and DATE_RE.search(lines[prev].text) and len(lines[prev].text.strip()) <= 60:
                source = lines[prev].text.strip() + " " + source
                start_index = prev
        printed = source.strip()
        dm = DATE_RE.search(source)
        date = ""
        if dm:
            try:
                date = parse_date(re.sub(r"\s", "", dm.group(0)))
            except ValueError:
                date = ""
            source = source[: dm.start()] + " " + source[dm.end():]
        source = re.sub(r"\(\s*\)", "", source)
        kai = _KAI.search(source)
        shiryo = _SHIRYO.search(source)
        council = source
        for pat in (_KAI, _SHIRYO):
            council = pat.sub(" ", council)
        council = re.sub(r"[()（）\s]+", " ", council).strip()
        if not council:
            return None
        if shiryo:
            council = re.sub(r"\s+", "", council)
            name = council + (f"（第{kai.group(1)}回）" if kai else "") + "資料" + re.sub(r"\s", "", shiryo.group(1))
            body = council
        else:
            name = re.sub(r"\s+", " ", council)
            body = ""
            if not (is_strategy_name(name) or self._known(name)):
                return None
        return _Found(start_index, 0, name, printed, date, body, len(text))

    # ------------------------------------------------------------------ driver
    def run(self) -> None:
        """Extract citations of the whole document."""
        lines = self.doc.lines
        n = len(lines)
        per_line: dict[int, list[_Found]] = {}
        consumed: set[int] = set()
        heading_lines: set[int] = set()
        for i in range(n):
            if lines[i].blank or i in consumed:
                continue
            ex = self._excerpt(i)
            if ex is not None:
                per_line.setdefault(ex.index, []).append(ex)
                consumed.update(range(ex.index, i + 1))
                continue
            text, pieces = self._logical(i)
            found = self._find(i, text)
            if not found:
                continue
            for _, j in pieces[1:]:
                consumed.add(j)
            for f in found:
                f.index = _line_of(pieces, f.start)
                per_line.setdefault(f.index, []).append(f)
            if _is_heading(text, found):
                heading_lines.update(j for _, j in pieces)
        body = self._quote_bodies(heading_lines)
        known: dict[str, str] = {}
        for i in sorted(per_line):
            for f in per_line[i]:
                if i in body:
                    self._report(i, QUOTED_BODY)
                    continue
                self._emit(f)
                known.setdefault(key(f.name), f.name)
        self._plain_mentions(known, per_line, body)
        self._unread(per_line, body, consumed)
        self.citations.sort(key=lambda c: c.line)

    def _unread(self, per_line: dict[int, list[_Found]], body: set[int], consumed: set[int]) -> None:
        """Report decision text that gave no citation, and dates that could not be read."""
        cited = {c.line - 1 for c in self.citations}
        for i, line in enumerate(self.doc.lines):
            if line.blank or i in body:
                continue
            text = line.text
            if _DECISION.search(text) and i not in cited and i not in consumed and i not in per_line:
                self._report(i, UNREAD)
            for pm in PAREN_DATE_RE.finditer(text):
                try:
                    parse_date(re.sub(r"\s", "", pm["date"]))
                except ValueError:
                    self._report(i, BAD_DATE)

    def _report(self, i: int, reason: str) -> None:
        self.report.append(ReportRow(self.doc.doc_id, i + 1, self.doc.lines[i].printed.strip(), reason))

    def _kind(self, canonical: str, f: _Found) -> str:
        """The registry's type when it knows the name, else the rule's kind, else by the name."""
        entry = lookup(self.registry, "strategy", canonical)
        if entry is not None and hasattr(entry, "data"):
            return str(entry.data.get("type") or "strategy")
        return f.kind or basis_kind(canonical, f.body)

    def _laws_and_state_policies(self, i: int, text: str, taken: list[tuple[int, int]]) -> list[_Found]:
        """Laws (with an article: ``…に関する法律 第27条の2``), policies the state is to set
        (``国が策定する…方針``) and bases recognised by their cue (``…計画に基づき``), printed
        without brackets or dates."""
        out = []
        for m in _LAW.finditer(text):
            if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
                continue
            name = _BULLET.sub("", _CONNECTOR.sub("", m["name"]))
            name = re.sub(r"^.*?(?:は|が|を|では|において|により|による|に基づき|及び)(?=.{6,})", "", name)
            if len(name) < 4:
                continue
            start = m.start("name") + m["name"].find(name)
            out.append(_Found(i, start, name, text[start: m.end()].strip(), "", "", m.end() - start, "law",
                              m["article"] or ""))
        for m in _STATE_POLICY.finditer(text):
            if any(a <= m.start("name") < b for a, b in taken):
                continue
            out.append(_Found(i, m.start("name"), m["name"], m.group(0), "", "", m.end() - m.start(), "policy"))
            taken.append((m.start("name"), m.end()))
        for m in _CUED.finditer(text):
            name = _BULLET.sub("", _CONNECTOR.sub("", m["name"])).lstrip("・")
            start = m.start("name") + m["name"].find(name)
            if any(a <= start < b or a < m.end() <= b for a, b in taken):
                continue
            folded = re.sub(r"\s", "", name)
            if len(folded) < 5 or _GENERIC_BASIS.match(folded) or not is_strategy_name(folded):
                continue
            prefix = re.sub(rf"(?:{_CUED_SUFFIX})$", "", folded)
            if not re.search(r"[一-龥0-9]", prefix) and not self._known(folded):
                continue  # a katakana concept (オープン・アンド・クローズ戦略), not a document
            out.append(_Found(i, start, name, name, "", "", m.end() - start))
            taken.append((start, m.end()))
        return out

    def _emit(self, f: _Found) -> None:
        line = self.doc.lines[f.index]
        name = printed_slice(line, _strip_edition_if_known(f.name, self))
        printed = printed_slice(line, f.text)
        canonical = self.canonical(name)
        rec = CitationRecord(self.doc.doc_id, f.index + 1, self.doc.line_program(f.index), canonical,
                             printed, f.date, f.body, self._kind(canonical, f), re.sub(r"\s", "", f.article))
        if any(c.line == rec.line and key(c.strategy) == key(rec.strategy) for c in self.citations):
            return
        self.citations.append(rec)

    def _quote_bodies(self, headings: set[int]) -> set[int]:
        """Lines quoting a strategy's text under its heading line."""
        body: set[int] = set()
        lines = self.doc.lines
        for h in sorted(headings):
            j = h
            count = 0
            prose_seen = False
            while count < 6:
                nxt = self.doc.next_nonblank(j)
                if nxt is None or nxt in headings or self.doc.page_of[nxt] != self.doc.page_of[h]:
                    break
                j = nxt
                s = lines[j].text.strip()
                if is_section_heading(s) or s.startswith("【") or TANTOU_RE.search(s):
                    break
                heading_like = is_heading_like(s)
                if prose_seen and heading_like:
                    break  # the quoted paragraph is over
                prose_seen = prose_seen or not heading_like
                body.add(j)
                count += 1
        return body

    def _plain_mentions(self, known: dict[str, str], per_line: dict[int, list[_Found]], body: set[int]) -> None:
        """Names the document cites elsewhere, mentioned without brackets or dates."""
        names = sorted({n for n in known.values() if len(n) >= 5}, key=len, reverse=True)
        if not names:
            return
        keyed = [(name, key(name)) for name in names]
        for i, line in enumerate(self.doc.lines):
            if line.blank or i in body:
                continue
            text = line.text
            if not any(name in text for name in names):
                continue
            done = {key(f.name) for f in per_line.get(i, [])}
            spans: list[tuple[int, int]] = []
            for name, name_k in keyed:
                if name_k in done:
                    continue
                pos = text.find(name)
                while pos >= 0:
                    end = pos + len(name)
                    if not any(a < end and pos < b for a, b in spans) and _plain_ok(text, pos, end):
                        spans.append((pos, end))
                        self._emit(_Found(i, pos, name, name, "", "", 0))
                        done.add(name_k)
                        break
                    pos = text.find(name, end)


# ---------------------------------------------------------------------- helpers


def _unbalanced(text: str) -> bool:
    return any(text.count(a) > text.count(b) for a, b in (("(", ")"), ("【", "】"), ("「", "」")))


def _line_of(pieces: list[tuple[int, int]], offset: int) -> int:
    line = pieces[0][1]
    for start, j in pieces:
        if offset >= start:
            line = j
    return line


def _name_start(text: str, paren: int) -> int | None:
    """Start of the name printed right before a date paren (balanced inner parens allowed)."""
    k = paren
    while k > 0 and text[k - 1] == " ":
        k -= 1
    end = k
    depth = 0
    while k > 0:
        ch = text[k - 1]
        if ch == ")":
            if depth == 0:
                opening = text.rfind("(", 0, k - 1)
                if opening >= 0 and DATE_RE.match(text, opening + 1):
                    break  # a decision paren closes the previous citation
            depth += 1
        elif ch == "(":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and ch in _NAME_CHARS_BACK_STOP:
            break
        k -= 1
    if k == end:
        return None
    return k


def _is_heading(text: str, found: list[_Found]) -> bool:
    """The logical line is (almost) only citations: a heading above a quoted policy text."""
    rest = len(_BULLET.sub("", text.strip()))
    covered = sum(f.heading_cover for f in found)
    return rest - covered <= 4 and rest <= 200


def _plain_ok(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    if before and (before.isalnum() and not _is_hiragana(before)):
        return False
    if not _PLAIN_NEXT_OK.match(text[end:]):
        return False
    # not inside a decision paren such as (令和6年6月3日統合イノベーション戦略推進会議決定)
    return not (text.rfind("(", 0, start) > text.rfind(")", 0, start) and DATE_RE.search(
        text[text.rfind("(", 0, start): start]))


def _is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def _strip_edition_if_known(name: str, ex: CitationExtractor) -> str:
    """``健康・医療戦略（第２期）`` → ``健康・医療戦略`` when the plain name is cited in this document."""
    base = _EDITION_MARK.sub("", fold(name))
    if base != name:
        for c in ex.citations:
            if key(c.strategy) == key(base):
                return base
    return name


