"""Funding flows from 事業スキーム / 資金の流れ / 支援スキーム diagrams and 「…において措置」 text.

The PDF text of a scheme diagram is its boxes and arrow labels in reading order, for example::

    【事業スキーム】 国 AMED        国 → AMED    (補助金)
    補助金                    ⇒    AMED → 大学等 (委託)
    大学等
    委託

Tokens are organisations (国, known bodies, ``…大学等``-style groups, abbreviations) and
instruments (補助金, 委託, 補助, 運営費交付金, 交付金, 基金). The first instrument links the first
organisation to the next one (the funding agency in the middle); every later instrument links
that agency to a recipient: the one printed right after it when the previous recipient already
has its instrument, else the previous recipient. Box labels broken over lines (``大学・国立研究`` /
``開発法人等``, ``補助`` / ``金``) are joined first. A flow's line is its instrument's line.

``補助金 文部科学省、厚生労働省、経済産業省等において措置`` (with the body receiving the money named in
the block, e.g. ``日本医療研究開発機構対象経費``) gives one flow per ministry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stikg.extract.document import (
    Doc,
    first_label,
    is_opening_heading,
    is_section_heading,
    printed_slice,
    yen_matches,
)
from stikg.extract.organizations import KNOWN_RE, is_generic, org_type
from stikg.extract.pages import TANTOU_RE
from stikg.extract.records import FlowRecord, ReportRow

INSTRUMENTS = {
    "補助金": "補助金", "委託": "委託", "委託費": "委託", "補助": "補助", "運営費交付金": "運営費交付金",
    "交付金": "交付金", "基金": "基金", "出資": "other", "出資金": "other", "助成": "other", "助成金": "other",
}
_SCHEME_HEAD = re.compile(r"(事業スキーム|資金の流れ|支援スキーム|推進スキーム|実施スキーム|スキーム図)\s*[】\]>＞)]?")
_ORGLIKE = re.compile(r"(大学|機関|法人|企業|研究者|センター|研究所|機構|病院|省|庁|拠点|事業者|団体)")
_ABBR = re.compile(r"[A-Z][A-Za-z0-9\-]{1,9}")
_MEASURE = re.compile(
    r"^(?:(?P<instr>補助金|運営費交付金|交付金|委託費|基金)\s*)?(?P<funders>[^。:：]{2,60}?)において(?:措置|計上)"
)
_TARGET = re.compile(r"^(?P<name>.+?)対象経費$")
# "理研運営費交付金", "国立大学法人運営費交付金", "宇宙航空研究開発機構(JAXA)運営費交付金"
_GRANT_OF = re.compile(r"(?P<org>[A-Za-z]{2,10}|[一-龥ァ-ヴー・]{2,30}(?:\([A-Za-z]{2,10}\))?)\s*運営費交付金")
NO_SOURCE = "scheme without a printed source organisation"
NO_ENDS = "funding words without two recognisable organisations"
_PROSE_CUE = re.compile(r"通じ|通して|基金を|を交付")
_PROSE_INSTRUMENT = {"委託": "委託", "補助": "補助", "助成": "other", "補助金": "補助金", "交付金": "交付金",
                     "運営費交付金": "運営費交付金", "基金": "基金"}
_THROUGH = re.compile(r"(?P<src>[A-Za-z]{2,10}|[一-龥ァ-ヴー・]{2,30}?)(?:\([A-Za-z]{2,10}\))?を通(?:じ|し)て?[、,]?\s*"
                      r"(?P<dst>[^、。「」()]{2,24}?)(?:に対し(?:て)?|へ)?に?(?P<instr>委託|補助|助成)")
_GIVEN = re.compile(r"(?P<dst>[A-Za-z]{2,10}|[一-龥ァ-ヴー・]{2,30}?)(?:\([A-Za-z]{2,10}\))?に(?:対し(?:て)?[、,]?)?\s*"
                    r"(?:(?P<instr>補助金|運営費交付金|交付金)を交付|[^、。]{0,12}?(?P<instr2>基金)を(?:造成|設置|創設))")
_PROSE_STRICT = re.compile(r"を通じて[^。]{0,24}(?:委託|補助)|基金を造成|補助金を交付")
_BRACKETS = re.compile(r"^[(（【〈<\[]+|[)）】〉>\]]+$")
_ORG_INSTR = re.compile(r"^(?P<org>[^()（）]{1,40}?)[(（](?P<instr>[^()（）]{1,8})[)）]$")
_ARROWS = re.compile(r"[→⇒➡▶▷⇨]|[-－―ー]{1,3}>")
# a diagram's step number (①国庫, ④支援): the number is not part of the label
_STEP = re.compile(r"^[①-⑳❶-❿➀-➉]\s*")
# a recipient printed as a sentence of the diagram: ``革新的な医薬品等の実用化に取り組む者に対し…``
_ADDRESSEE = re.compile(r"^(?P<name>[^。、()（）]{3,30}?(?:者|事業者|機関|法人|団体|企業|大学))に対し")
# ``国庫と民間からの出えん金(寄附金)で「…基金」を造成``: each named donor pays into the fund
_DONATION = re.compile(r"(?P<donors>[一-龥ァ-ヴー・と、及びや]{2,30}?)からの出え?ん金(?:\([^()]{0,10}\))?で"
                       r"[「『]?(?P<fund>[^「」『』。、]{2,40}?基金)[」』]?を(?:造成|設置|創設)")
_STATE = ("国", "国庫", "政府")
_NOT_BOX = ("経費", "費", "事業", "プログラム", "プロジェクト", "課題", "研究", "支援", "措置", "計上", "制度")


@dataclass
class _Token:
    kind: str  # "org" or "instr"
    value: str
    line: int  # 0-based index


class FlowExtractor:
    """Parses scheme blocks and 「…において措置」 lines."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.registry = doc.registry
        self.flows: list[FlowRecord] = []
        self.roles: list[tuple[int, str, str]] = []  # (line index, organisation, role)
        self.report: list[ReportRow] = []
        self._used: set[int] = set()
        self._grants: set[tuple[str, str]] = set()

    def run(self) -> None:
        """Find every flow of the document."""
        self._measures()
        self._operating_grants()
        self._prose()
        donations = self._donations()
        lines = self.doc.lines
        i = 0
        while i < len(lines):
            s = lines[i].text.strip()
            if s and len(s) <= 60 and _SCHEME_HEAD.search(s) and i not in self._used:
                i = self._scheme(i)
                continue
            if s and i not in self._used:
                self._single_line(i)
            i += 1
        # the state's share of a donated fund, unless the program's diagram already draws it
        from_state = {f.program for f in self.flows if f.from_org in _STATE}
        for f in donations:
            if f.from_org not in _STATE or f.program not in from_state:
                self.flows.append(f)
        self.flows.sort(key=lambda f: f.line)

    # ------------------------------------------------------------------ tokens
    def _instrument(self, tok: str) -> str | None:
        return INSTRUMENTS.get(_BRACKETS.sub("", tok.strip()))

    def _org(self, tok: str) -> str | None:
        t = tok.strip().strip("、,")
        if not t or len(t) > 40:
            return None
        if t in ("国", "政府"):
            return t
        m = KNOWN_RE.match(t)
        if m and (m.end() == len(t) or t[m.end():] in ("等", ")", "）")):
            return t[: m.end()]
        if org_type(t, self.registry) is not None:
            return t
        if _ORGLIKE.search(t) and not re.search(r"[。、]|を|が|において", t) and not t.endswith(_NOT_BOX):
            return t
        if "、" in t and "。" not in t and all(self._org(part) for part in t.split("、")):
            return t  # one box listing several kinds of recipient: インキュベーション事業者、製薬企業等
        if _ABBR.fullmatch(t):
            return t
        return None

    def _tokens(self, cell: list[int], printed: bool = False) -> list[_Token] | None:
        """Tokens of a cell (adjacent lines), or None when the cell is not diagram text."""
        lines = self.doc.lines
        text, owners = "", []
        for k, j in enumerate(cell):
            s = _ARROWS.sub(" ", lines[j].text).strip()
            if k and not self._joins(lines[cell[k - 1]].text.strip(), s):
                text += " "
                owners.append(j)
            text += s
            owners.extend([j] * len(s))
        if "。" in text or len(text) > 80:
            if len(cell) < 4:
                return None
            # a diagram whose text layer has no blank lines between boxes: one label per line
            return [t for j in cell for t in self._tokens_of_text(lines[j].text, j)] or None
        out = []
        pos = 0
        for word in text.split():
            start = text.index(word, pos)
            pos = start + len(word)
            line = owners[start] if start < len(owners) else cell[-1]
            out.extend(self._word_tokens(word, line))
        return out

    def _word_tokens(self, word: str, line: int) -> list[_Token]:
        """One word → tokens; ``JST（運営費交付金）`` is the organisation and the instrument into it."""
        word = _STEP.sub("", word)
        if word == "国庫":
            return [_Token("instr", "国庫", line)]  # the state's money: 基金 when the scheme builds one
        am = _ADDRESSEE.match(word)
        if am:
            return [_Token("org", am["name"], line)]
        if re.fullmatch(r"[(（][^()（）]{2,30}[)）]", word) and self._org(word[1:-1]):
            return [_Token("gloss", word[1:-1], line)]  # (創薬クラスターキャンパス整備事業者): a gloss
        instr = self._instrument(word)
        if instr:
            return [_Token("instr", instr, line)]
        m = _ORG_INSTR.match(word)
        if m and (instr := self._instrument(m["instr"])) and (org := self._org(m["org"])):
            return [_Token("org", org, line), _Token("instr", instr, line)]
        org = self._org(word)
        return [_Token("org", org, line)] if org else []

    @staticmethod
    def _joins(prev: str, nxt: str) -> bool:
        """Is ``nxt`` the continuation of a box label broken at ``prev``?"""
        if nxt.startswith("金") and prev.endswith(("補助", "交付")):
            return True
        if nxt in INSTRUMENTS or prev.split()[-1:] and prev.split()[-1] in INSTRUMENTS:
            return False
        if prev.endswith((")", "）")):
            return False
        return len(prev) <= 12 and len(nxt) <= 12 and not re.search(r"[<>＜＞【】]", prev)

    # ------------------------------------------------------------------ blocks
    def _scheme(self, h: int) -> int:
        lines = self.doc.lines
        head = lines[h].text
        m = _SCHEME_HEAD.search(head)
        tokens: list[_Token] = []
        rest = head[m.end():].strip() if m else ""
        if rest:
            tokens.extend(t for t in self._tokens_of_text(rest, h))
        i = h + 1
        misses = 0
        end = min(len(lines), h + 40)
        page = self.doc.page_of[h]
        while i < end and misses < 2:
            if lines[i].blank:
                i += 1
                continue
            s = lines[i].text.strip()
            if (i in self._used or self.doc.page_of[i] != page or is_section_heading(s) or is_opening_heading(s)
                    or TANTOU_RE.search(s) or yen_matches(s) or first_label(s) or _SCHEME_HEAD.search(s)):
                break
            cell = [i]
            while i + 1 < end and not lines[i + 1].blank:
                i += 1
                cell.append(i)
            if any(j in self._used for j in cell):
                break
            toks = self._tokens(cell)
            if not toks:
                misses += 1
            else:
                misses = 0
                tokens.extend(toks)
            i += 1
        self._emit(tokens, h)
        return i

    def _tokens_of_text(self, text: str, line: int) -> list[_Token]:
        out = []
        for word in _ARROWS.sub(" ", text).split():
            out.extend(self._word_tokens(word, line))
        return out

    def _single_line(self, i: int) -> None:
        s = _ARROWS.sub(" ", self.doc.lines[i].text).strip()
        words = s.split()
        if len(words) < 3 or len(s) > 60:
            return
        if not all(self._word_tokens(w, i) for w in words):
            return
        toks = self._tokens_of_text(s, i)
        if sum(t.kind == "org" for t in toks) >= 2 and any(t.kind == "instr" for t in toks):
            self._emit(toks, i)

    def _emit(self, tokens: list[_Token], head: int) -> None:
        tokens = self._resolve_treasury([t for t in tokens if t.kind != "gloss"], head)
        first = next((k for k, t in enumerate(tokens) if t.kind == "instr"), None)
        if first is None:
            return
        before = [t for t in tokens[:first] if t.kind == "org"]
        if not before:
            self.report.append(ReportRow(self.doc.doc_id, head + 1, self.doc.lines[head].printed.strip(), NO_SOURCE))
            return
        source = before[0]
        if len(before) >= 2:
            agent, rest = before[1], tokens[first + 1:]
        else:
            # after 国, its own ministry is the state, not a hand the money passes through; drawn
            # off every money edge, it runs the scheme (計画認定 …)
            ministries = [t for t in tokens[first + 1:] if t.kind == "org" and source.value in _STATE
                          and self._is_ministry(t.value)]
            if ministries:
                self.roles.append((ministries[0].line, ministries[0].value, "implementer"))
            after = next((k for k in range(first + 1, len(tokens))
                          if tokens[k].kind == "org" and tokens[k] not in ministries), None)
            if after is None:
                return
            agent = tokens[after]
            rest = [t for t in tokens[after + 1:] if t not in ministries]
        self._flow(tokens[first].line, source.value, agent.value, tokens[first].value)
        recipients: list[_Token] = []
        served: set[int] = set()
        onward = False
        for k, tok in enumerate(rest):
            if tok.kind == "org":
                recipients.append(tok)
                continue
            nxt = rest[k + 1] if k + 1 < len(rest) else None
            prev = recipients[-1] if recipients else None
            ahead = next((t for t in rest[k + 1:] if t.kind == "org" and id(t) not in served), None)
            if nxt is not None and nxt.kind == "org" and (prev is None or id(prev) in served):
                target = nxt
            elif (prev is None or id(prev) in served) and ahead is not None:
                target = ahead  # the next recipient printed further down the diagram
            elif prev is not None:
                target = prev
            else:
                continue
            served.add(id(target))
            onward = True
            self._flow(tok.line, agent.value, target.value, tok.value)
            if (not is_generic(target.value) and target.value not in ("国", "政府")
                    and len(re.findall(r"[ぁ-ん]", target.value)) < 2):  # "…に取り組む者" is a class, not a body
                self.roles.append((target.line, target.value, "recipient"))
        if onward and agent.value not in ("国", "政府"):
            self.roles.append((agent.line, agent.value, "funding_agency"))
        elif agent.value not in ("国", "政府") and not is_generic(agent.value):
            self.roles.append((agent.line, agent.value, "recipient"))

    def _resolve_treasury(self, tokens: list[_Token], head: int) -> list[_Token]:
        """``国庫`` is the state's money into a fund (基金) when the scheme's page builds one, else
        no instrument."""
        page = self.doc.page(head)
        builds_fund = any(self.doc.lines[j].text.strip().endswith("基金") for j in range(head, page.end))
        return [_Token("instr", "基金", t.line) if t.value == "国庫" and t.kind == "instr" else t
                for t in tokens if builds_fund or not (t.kind == "instr" and t.value == "国庫")]

    def _is_ministry(self, name: str) -> bool:
        return name.endswith(("省", "庁")) or org_type(name, self.registry) in ("ministry", "government")

    def _flow(self, index: int, src: str, dst: str, instrument: str) -> None:
        self.flows.append(FlowRecord(self.doc.doc_id, index + 1, self.doc.line_program(index), src, dst, instrument))

    # ------------------------------------------------------------------ prose
    def _prose(self) -> None:
        """``AMEDを通じて大学等に委託`` (AMED → 大学等, 委託), ``JSTに基金を造成`` (国 → JST, 基金),
        ``AMEDに補助金を交付`` (国 → AMED, 補助金); a line with such words whose ends are not
        organisations goes to the report."""
        for i, line in enumerate(self.doc.lines):
            text = line.text
            if line.blank or i in self._used or not _PROSE_CUE.search(text):
                continue
            found = False
            for m in _THROUGH.finditer(text):
                src, dst = self._org(m["src"]), self._org(self._tail(m["dst"]))
                if src and dst and src != dst:
                    self._flow(i, src, dst, _PROSE_INSTRUMENT[m["instr"]])
                    found = True
            for m in _GIVEN.finditer(text):
                dst = self._org(self._tail(m["dst"]))
                if dst and dst not in ("国", "政府"):
                    self._flow(i, "国", dst, _PROSE_INSTRUMENT[m["instr"] or m["instr2"]])
                    found = True
            if not found and _PROSE_STRICT.search(text):
                self.report.append(ReportRow(self.doc.doc_id, i + 1, line.printed.strip(), NO_ENDS))

    def _donations(self) -> list[FlowRecord]:
        """``国庫と民間からの出えん金(寄附金)で「…基金」を造成``: donor → fund (国庫 as 国, 基金;
        others ``other``), returned for :meth:`run` to keep the state's share only where no diagram
        draws it."""
        out = []
        for i, line in enumerate(self.doc.lines):
            if line.blank or "出" not in line.text:
                continue
            for m in _DONATION.finditer(line.text):
                fund = printed_slice(line, m["fund"])
                for donor in re.split(r"と|、|及び|や", m["donors"]):
                    donor = donor.strip()
                    if not donor:
                        continue
                    state = donor in _STATE
                    out.append(FlowRecord(self.doc.doc_id, i + 1, self.doc.line_program(i), "国" if state else donor,
                                          fund, "基金" if state else "other"))
        return out

    @staticmethod
    def _tail(phrase: str) -> str:
        """The organisation at the end of a phrase (``公募により選定した大学等`` → ``大学等``)."""
        phrase = phrase.strip(" 、,")
        cut = max((phrase.rfind(c) for c in ("を", "が", "は", "で", "た", "る", "の")), default=-1)
        return phrase[cut + 1:] if 0 <= cut < len(phrase) - 2 else phrase

    # ------------------------------------------------------------------ X運営費交付金
    def _operating_grants(self) -> None:
        """``※理研運営費交付金``, ``NIMS運営費交付金中の推計額``, ``国立大学法人運営費交付金について``,
        ``JAXA運営費交付金の内数``: the state funds that body by its operating grant. (The title of
        the grant's own page is not a flow: its scheme says who pays.)"""
        for i, line in enumerate(self.doc.lines):
            text = line.text
            if "運営費交付金" not in text or line.blank or i == self.doc.page(i).title_index:
                continue
            for m in _GRANT_OF.finditer(text):
                name = m["org"].strip()
                org = self._org(name) or (name if KNOWN_RE.fullmatch(name) else None)
                if org is None or org in ("国", "政府") or org.endswith(("省", "庁", "府")):
                    continue
                key = (self.doc.line_program(i), org)
                if key in self._grants:
                    continue
                self._grants.add(key)
                self._flow(i, "国", org, "運営費交付金")

    # ------------------------------------------------------------------ 「…において措置」
    def _measures(self) -> None:
        lines = self.doc.lines
        for i, line in enumerate(lines):
            s = line.text.strip()
            m = _MEASURE.match(s)
            if not m:
                continue
            funders = [f.strip() for f in re.split(r"[、,]|及び", re.sub(r"等$", "", m["funders"].strip()))]
            funders = [f for f in funders if f and self._org(f) and not is_generic(f)]
            if not funders:
                continue
            instr, at = (INSTRUMENTS[m["instr"]], i) if m["instr"] else (None, i)
            if instr is None:
                prev = self.doc.prev_nonblank(i, within=2)
                if prev is not None and self._instrument(lines[prev].text.strip()):
                    instr, at = self._instrument(lines[prev].text.strip()), prev
            if instr is None:
                continue
            target = self._measure_target(i)
            if target is None:
                continue
            for f in funders:
                self._flow(at, f, target, instr)
            self._used.update({i, at})

    def _measure_target(self, i: int) -> str | None:
        lines = self.doc.lines
        page = self.doc.page_of[i]
        for j in range(i - 1, max(-1, i - 10), -1):
            if self.doc.page_of[j] != page:
                break
            s = lines[j].text.strip()
            tm = _TARGET.match(s)
            if tm and self._org(tm["name"]):
                return lines[j].printed.strip()[: len(tm["name"])]
        for j in range(i + 1, min(len(lines), i + 7)):
            s = lines[j].text.strip()
            if s and KNOWN_RE.fullmatch(s):
                return lines[j].printed.strip()
        return None

