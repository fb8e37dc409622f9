"""Organisations and their role for a program.

Mentions are found two ways: the agencies and institutes of the genre, by full name (with or
without a legal-form prefix such as 国立研究開発法人) or abbreviation (JST, AMED, JSPS, 理研, NII,
NIMS, QST, KEK, …), plus whatever the registry knows; and any noun phrase ending in an
organisational suffix (…大学, …研究所, …センター, …機構, …病院, …省 …). A role needs a cue:

* ``bureau``: the page's ``（担当：研究振興局ライフサイエンス課）``;
* ``funding_agency``: ``Xを通じて``, ``Xのファンディング``, ``X【ファンディング】``, ``うちX予算額``,
  the middle organisation of a 事業スキーム (国 → X → recipients);
* ``implementer``: ``X運営費交付金``, ``Xにおいて`` (not a ministry), ``開発主体：X``,
  ``（X等）による``, ``〔X、Y〕`` under a facility, ``(N件: X、Y)``, an item closed by ``【X】``;
* ``host``: ``Xを中核とした``, ``X【拠点】``, lists of hub institutions (``…大学病院…センター``
  lines, one per line);
* ``recipient``: ``交付先：X`` / ``委託先：X``, ``Xの…に充てるため、運営費交付金を措置``, a named
  (not generic) end point of a 事業スキーム;
* ``partner``: ``Xとの連携``, ``X等と連携``, ``Xとともに``, and known non-funding organisations
  listed in a sentence about 連携/協力/サポート体制.

Each (program, organisation, role) is reported once, at its first line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stikg.core.text import name_key
from stikg.extract.document import Doc
from stikg.extract.pages import TANTOU_RE
from stikg.extract.records import OrganizationRecord, ReportRow
from stikg.inputs.registry import Resolver, lookup

NO_ROLE = "organisation named without a role cue"

# (full name, abbreviations, type) — the bodies the genre names most.
KNOWN_ORGANIZATIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("文部科学省", ("文科省", "MEXT"), "ministry"),
    ("厚生労働省", ("厚労省", "MHLW"), "ministry"),
    ("経済産業省", ("経産省", "METI"), "ministry"),
    ("内閣府", (), "ministry"),
    ("総務省", (), "ministry"),
    ("外務省", (), "ministry"),
    ("農林水産省", ("農水省",), "ministry"),
    ("科学技術振興機構", ("JST",), "funding_agency"),
    ("日本医療研究開発機構", ("AMED",), "funding_agency"),
    ("日本学術振興会", ("JSPS",), "funding_agency"),
    ("新エネルギー・産業技術総合開発機構", ("NEDO",), "funding_agency"),
    ("国際協力機構", ("JICA",), "other"),
    ("理化学研究所", ("理研", "RIKEN"), "research_institute"),
    ("国立情報学研究所", ("NII",), "research_institute"),
    ("物質・材料研究機構", ("NIMS",), "research_institute"),
    ("量子科学技術研究開発機構", ("QST",), "research_institute"),
    ("高エネルギー加速器研究機構", ("KEK",), "research_institute"),
    ("情報通信研究機構", ("NICT",), "research_institute"),
    ("宇宙航空研究開発機構", ("JAXA",), "research_institute"),
    ("海洋研究開発機構", ("JAMSTEC",), "research_institute"),
    ("日本原子力研究開発機構", ("JAEA",), "research_institute"),
    ("産業技術総合研究所", ("産総研", "AIST"), "research_institute"),
    ("分子科学研究所", ("分子研",), "research_institute"),
    ("自然科学研究機構", ("NINS",), "inter_university"),
    ("情報・システム研究機構", ("ROIS",), "inter_university"),
    ("国立天文台", ("NAOJ",), "research_institute"),
    ("医薬品医療機器総合機構", ("PMDA",), "other"),
    ("医療系ベンチャー・トータルサポートオフィス", ("MEDISO",), "other"),
    ("医薬基盤・健康・栄養研究所", ("基盤研", "NIBIOHN"), "research_institute"),
    ("国立がん研究センター", (), "research_institute"),
    ("国立国際医療研究センター", (), "research_institute"),
)
LEGAL_FORMS = ("国立研究開発法人", "独立行政法人", "大学共同利用機関法人", "公益財団法人", "一般財団法人",
               "国立大学法人", "学校法人", "特殊法人")
_TYPE = {}
_CANON = {}
for _full, _abbrs, _type in KNOWN_ORGANIZATIONS:
    for _n in (_full, *_abbrs):
        _TYPE[name_key(_n)] = _type
        _CANON[name_key(_n)] = _full

_LEGAL = "(?:" + "|".join(LEGAL_FORMS) + r")?\s*"
_FULL_NAMES = sorted((f for f, _, _ in KNOWN_ORGANIZATIONS), key=len, reverse=True)
_ABBR_JA = sorted((a for _, abbrs, _ in KNOWN_ORGANIZATIONS for a in abbrs if not a.isascii()), key=len, reverse=True)
_ABBR_EN = sorted((a for _, abbrs, _ in KNOWN_ORGANIZATIONS for a in abbrs if a.isascii()), key=len, reverse=True)
_ABBR_PAREN = r"\s*\(\s*[A-Za-z][A-Za-z0-9\-]{1,12}\s*\)"
KNOWN_RE = re.compile(
    rf"{_LEGAL}(?:{'|'.join(map(re.escape, _FULL_NAMES))})(?:{_ABBR_PAREN})?"
    rf"|(?:{'|'.join(map(re.escape, _ABBR_JA))})(?!究)"
    rf"|(?<![A-Za-z0-9])(?:{'|'.join(map(re.escape, _ABBR_EN))})(?![A-Za-z0-9])"
)
ORG_SUFFIXES = ("大学院", "大学", "研究所", "研究センター", "センター", "研究機構", "機構", "法人", "病院",
                "研究会", "学会", "協会", "財団", "省", "庁", "研究院", "高等専門学校")
GENERIC_ORG_RE = re.compile(
    r"(?:がん|つくば)?[一-龥ァ-ヴーA-Za-z0-9・]{0,40}(?:"
    + "|".join(ORG_SUFFIXES)
    + rf")(?:{_ABBR_PAREN})?"
)
_GENERIC_WORDS = {
    "大学", "大学院", "研究所", "センター", "機構", "法人", "病院", "省", "庁", "国立研究開発法人", "独立行政法人",
    "大学共同利用機関法人", "研究機関", "各大学", "本センター", "国立大学法人", "国公私立大学", "私立大学", "国立大学",
    "公立大学", "大学病院", "他大学", "当該大学", "関係省庁", "関係府省", "各府省", "府省", "研究開発法人",
}
_NOT_AN_ORG_PREFIX = ("各", "本", "当", "同", "他", "全国", "関係", "諸", "我が国", "海外", "国内", "地方", "全て")


def org_type(name: str, registry: Resolver | None = None) -> str | None:
    """Type of a known organisation (registry first, then the built-in table), or None."""
    entry = lookup(registry, "organization", name)
    if entry is not None:
        return str(entry.data.get("type", "other")) if hasattr(entry, "data") else "other"
    k = name_key(_strip_legal(name))
    if k in _TYPE:
        return _TYPE[k]
    m = re.search(r"\(\s*([A-Za-z][A-Za-z0-9\-]{1,12})\s*\)\s*$", name.replace("（", "(").replace("）", ")"))
    if m and name_key(m.group(1)) in _TYPE:
        return _TYPE[name_key(m.group(1))]
    base = re.sub(r"\s*\([^()]*\)\s*$", "", name.replace("（", "(").replace("）", ")"))
    return _TYPE.get(name_key(_strip_legal(base)))


def _strip_legal(name: str) -> str:
    s = name.strip()
    for form in LEGAL_FORMS:
        if s.startswith(form):
            return s[len(form):].strip()
    return s


def org_key(name: str, registry: Resolver | None = None) -> str:
    """Matching key of an organisation: the registry id when the name resolves; else the
    built-in full name (``AMED``, ``日本医療研究開発機構（AMED）`` and ``日本医療研究開発機構``
    agree); else a Latin abbreviation in brackets (``X（TMM）`` = ``TMM``, ``NCBN（…）`` = ``NCBN``);
    else :func:`stikg.core.text.name_key` of the name without a trailing bracketed qualifier."""
    entry = lookup(registry, "organization", name)
    if entry is not None:
        return "id:" + entry.id
    s = name.replace("（", "(").replace("）", ")").strip()
    k = name_key(_strip_legal(s))
    if k in _CANON:
        return "ja:" + name_key(_CANON[k])
    m = re.fullmatch(r"(.+?)\s*\(\s*([A-Za-z][A-Za-z0-9\-]{1,12})\s*\)", s)
    if m:
        ak = name_key(m.group(2))
        return "ja:" + name_key(_CANON[ak]) if ak in _CANON else "abbr:" + ak
    m = re.fullmatch(r"([A-Za-z][A-Za-z0-9\-]{1,12})\s*\((.+)\)", s)
    if m:
        return "abbr:" + name_key(m.group(1))
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9\-]{1,12}", s):
        return "abbr:" + name_key(s)
    base = re.sub(r"\s*\([^()]*\)\s*$", "", s)
    bk = name_key(_strip_legal(base))
    if bk in _CANON:
        return "ja:" + name_key(_CANON[bk])
    return "ja:" + (bk or k)


def is_generic(name: str) -> bool:
    """A class of bodies (大学等, 研究機関, 民間企業 …) rather than one organisation."""
    s = name.strip().replace("（", "(").replace("）", ")")
    s = re.sub(r"\([^()]*\)$", "", s).strip()
    if s.endswith("等") or s in _GENERIC_WORDS or s.startswith(_NOT_AN_ORG_PREFIX):
        return True
    if "・" in s and all(part in _GENERIC_WORDS or part.endswith(("大学", "法人", "企業", "機関"))
                          and len(part) <= 8 for part in s.split("・")):
        return True
    return s in ("国", "民間企業", "企業", "研究者", "大学・企業")


@dataclass(frozen=True)
class Mention:
    """An organisation named on a line: its span in the folded text and printed name."""

    start: int
    end: int
    name: str
    known: bool


def mentions(text: str, printed: str, registry: Resolver | None = None) -> list[Mention]:
    """Organisation mentions of a line (known names first; generic suffix names where free)."""
    out: list[Mention] = []
    for m in KNOWN_RE.finditer(text):
        out.append(Mention(m.start(), m.end(), printed[m.start(): m.end()].strip(), True))
    for m in GENERIC_ORG_RE.finditer(text):
        if any(o.start < m.end() and m.start() < o.end for o in out):
            continue
        name = printed[m.start(): m.end()].strip()
        core = _trim_generic(name)
        if core is None:
            continue
        offset = name.find(core)
        start = m.start() + max(offset, 0)
        known = registry is not None and org_type(core, registry) is not None
        out.append(Mention(start, start + len(core), core, known))
    out.sort(key=lambda o: o.start)
    return out


def _trim_generic(name: str) -> str | None:
    s = name.strip().lstrip("・")
    if len(s) < 3 or is_generic(s):
        return None
    return s


@dataclass
class _Role:
    index: int
    name: str
    role: str
    program: str | None = None


_PARTNER_AFTER = re.compile(r"^\s*(?:等)?\s*(?:\)|）)?\s*(?:との(?:緊密な)?連携|と(?:の)?(?:緊密に)?連携|とも連携|とともに|"
                            r"との協力|と協力|との協働|と協働|と共同)")
_THROUGH_AFTER = re.compile(r"^\s*(?:\)|）)?\s*(?:を通じ|を通して|経由|のファンディング|\s*【ファンディング】)")
_IMPL_AFTER = re.compile(r"^\s*(?:運営費交付金|において(?!措置|計上|は)|における"
                         r"|が[、,]?(?=[^。]{0,60}(?:実施|推進|目指|整備|開発|運営|担う|構築|取り組)))")
_HOST_AFTER = re.compile(r"^[A-Za-z0-9一-龥ァ-ヴー]{0,12}?(?:を中核(?:拠点)?とした|を拠点とした|に拠点を置)|^\s*【拠点】")
_BY_AFTER = re.compile(r"^\s*等?\s*[)）]\s*による")
_IMPL_BEFORE = re.compile(r"(?:開発主体|実施機関|実施主体|研究実施機関)\s*[:：]\s*$")
_RECIP_BEFORE = re.compile(r"(?:交付先|委託先|補助先|補助事業者)\s*[:：]\s*$")
_UCHI_BEFORE = re.compile(r"うち\s*$")
_LABEL_AFTER = re.compile(r"^\s*(?:予算額|要求・要望額|要求額)")
_OPERATING_GRANT = re.compile(r"^\s*の.{0,20}(?:経費|費用)等?に充てるため.{0,10}運営費交付金")
# every role cue below contains one of these; lines without any are skipped quickly
_ANY_CUE = re.compile(r"連携|ともに|協力|協働|共同|通じ|通して|経由|ファンディング|運営費交付金|において|における|中核|拠点|による|"
                      r"主体|機関|先\s*[:：]|補助事業者|うち|充てるため|サポート|支援体制|〔|件\s*[:：]")
_LOOSE_CUE = re.compile(r"連携|協力|協働|サポート|支援体制")
_BRACKET_LIST = re.compile(r"〔([^〔〕]{2,80})〕")
# an item or title closed by its implementer(s) in lenticular brackets: ``…に関する研究開発【JAMSTEC】``
_TRAILING_IMPLEMENTER = re.compile(r"(?<=[^\s【】])\s*【([^【】]{2,60})】\s*$")
_COUNT_LIST = re.compile(r"\(\s*\d+\s*件\s*[:：]\s*([^()]{2,80})\)")
_HUB_LINE = re.compile(
    r"^(?P<inst>[^\s、。,()「」:]{2,20}?(?:大学|研究センター|研究所|機構))"
    r"(?P<unit>[^、。,()「」:]{2,40}?(?:センター|病院|機構|拠点|部|ユニット|研究所|本部|室))$"
)
_EXTENSION = re.compile(r"^[(（]\s*内線\s*\d[\d、,\s]*[)）]$")
_TANTOU_NAME = re.compile(
    r"[(（]\s*担当(?:課|部署|部局|課室)?\s*[:：]\s*(?P<name>.+?)\s*[)）]\s*\d*\s*$"
    r"|【\s*担当(?:課|部署|部局|課室)?\s*】\s*(?P<name2>\S.*?)\s*$"
)


class OrganizationExtractor:
    """Applies the role rules of the module docstring line by line."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.registry = doc.registry
        self.roles: list[_Role] = []
        self._unplaced: list[tuple[int, str]] = []  # (line index, name) of mentions no rule gave a role

    def add(self, index: int, name: str, role: str, program: str | None = None) -> None:
        """Record a role (deduplicated per program, organisation and role at the end)."""
        name = name.strip().strip("、,")
        if name and not is_generic(name):
            self.roles.append(_Role(index, name, role, program))

    def run(self) -> None:
        """Run every rule over the document."""
        for i, line in enumerate(self.doc.lines):
            if not line.blank:
                self._line(i)
        self._hub_lists()
        self._extension_offices()

    def _extension_offices(self) -> None:
        """An office printed above its telephone extension (``医政局医薬産業振興・`` / ``医療情報企画課`` /
        ``(内線8271、8459)``, the MHLW sheets' 担当) is the program's bureau."""
        lines = self.doc.lines
        for i, line in enumerate(lines):
            if not _EXTENSION.match(line.text.strip()):
                continue
            j = self.doc.prev_nonblank(i, within=2)
            if j is None:
                continue
            start = j
            k = self.doc.prev_nonblank(j, within=2)
            if k is not None and len(lines[k].text.strip()) <= 20 and lines[k].text.strip().endswith(("・", "局", "部")):
                start = k
            name = "".join(lines[x].printed.strip() for x in range(start, j + 1))
            if name.endswith(("課", "室", "局", "部", "官")) and len(name) <= 40:
                self.add(start, name, "bureau", self.doc.program_at(i))

    def _line(self, i: int) -> None:
        line = self.doc.lines[i]
        text, printed = line.text, line.printed
        tm = _TANTOU_NAME.search(text)
        if tm and TANTOU_RE.search(text):
            group = "name" if tm["name"] else "name2"
            name = printed[tm.start(group): tm.end(group)]
            self.add(i, re.sub(r"\s+", "", name), "bureau", self.doc.program_at(i))
            return
        tail = _TRAILING_IMPLEMENTER.search(text)
        if tail:
            parts = [p.strip() for p in re.split(r"[、,・/]", printed[tail.start(1): tail.end(1)]) if p.strip()]
            if parts and all(self._org_like(p) for p in parts):
                for part in parts:
                    self.add(i, part, "implementer")
                return
        if not _ANY_CUE.search(text):
            self._unplaced.extend((i, m.name) for m in mentions(text, printed, self.registry) if m.known)
            return
        ms = mentions(text, printed, self.registry)
        assigned: set[int] = set()
        for k, m in enumerate(ms):
            after = text[m.end:]
            before = text[: m.start]
            role = None
            if _PARTNER_AFTER.match(after):
                role = "partner"
            elif _THROUGH_AFTER.match(after) and self._is_fa(m.name):
                role = "funding_agency"
            elif _UCHI_BEFORE.search(before) and _LABEL_AFTER.match(after) and self._is_fa(m.name):
                role = "funding_agency"
            elif _HOST_AFTER.match(after):
                role = "host"
            elif _IMPL_AFTER.match(after) and not self._is_government(m.name):
                role = "implementer"
            elif _BY_AFTER.match(after) and re.search(r"[(（]\s*$", before):
                role = "implementer"
            elif _IMPL_BEFORE.search(before):
                role = "implementer"
            elif _RECIP_BEFORE.search(before):
                role = "recipient"
            elif _OPERATING_GRANT.match(after):
                role = "recipient"
            if role:
                self.add(i, m.name, role)
                assigned.add(k)
            elif m.known:
                self._unplaced.append((i, m.name))
        for bm in _BRACKET_LIST.finditer(text):
            for part in re.split(r"[、,]", printed[bm.start(1): bm.end(1)]):
                part = part.strip()
                if part and self._org_like(part):
                    self.add(i, part, "implementer")
        for cm in _COUNT_LIST.finditer(text):
            for part in re.split(r"[、,]", printed[cm.start(1): cm.end(1)]):
                part = re.sub(r"<\s*\d+\s*件\s*>", "", part).strip()
                if part and (self._org_like(part) or part.endswith("大")):
                    self.add(i, part, "implementer")
        if _LOOSE_CUE.search(text):
            for k, m in enumerate(ms):
                if k in assigned or not m.known:
                    continue
                if k + 1 < len(ms) and text[m.end: ms[k + 1].start].strip() == "の":
                    continue  # "厚生労働省の臨床研究中核病院": a qualifier of the next name
                t = org_type(m.name, self.registry)
                if t in ("funding_agency",) or name_key(m.name) in ("文部科学省", "mext", "文科省"):
                    continue
                if not _LOOSE_CUE.search(text[m.end: m.end + 25]):
                    continue  # the cue must follow the list the organisation is in
                if t is not None:
                    self.add(i, m.name, "partner")

    def _hub_lists(self) -> None:
        """Lines that are one hub institution each (…大学病院…センター), three or more on a page."""
        lines = self.doc.lines
        for page in self.doc.pages:
            found: list[tuple[int, str]] = []
            i = page.start
            while i < page.end:
                line = lines[i]
                s = line.text.strip()
                if not s or len(s) > 45:
                    i += 1
                    continue
                joined, printed, used = s, line.printed.strip(), i
                m = _HUB_LINE.match(joined)
                if not m and i + 1 < page.end and lines[i + 1].text.strip() and len(lines[i + 1].text.strip()) <= 25:
                    cand = joined + lines[i + 1].text.strip()
                    if _HUB_LINE.match(cand):
                        m = _HUB_LINE.match(cand)
                        printed = printed + lines[i + 1].printed.strip()
                        used = i + 1
                if m and not _HUB_LINE.match(m.group("inst")) and self._unit_ok(m):
                    found.append((i, printed))
                i = used + 1
            if len(found) >= 3:
                for i, name in found:
                    self.add(i, name, "host")

    @staticmethod
    def _unit_ok(m: re.Match) -> bool:
        unit = m.group("unit").strip()
        return len(unit) >= 3 and not unit.startswith(("等", "・"))

    # ------------------------------------------------------------------ predicates
    def _is_fa(self, name: str) -> bool:
        return org_type(name, self.registry) == "funding_agency"

    def _is_government(self, name: str) -> bool:
        t = org_type(name, self.registry)
        return t in ("ministry", "government", "bureau", "office") or name.endswith(("省", "庁", "府"))

    def _org_like(self, name: str) -> bool:
        if is_generic(name):
            return False
        if org_type(name, self.registry) is not None:
            return True
        return bool(GENERIC_ORG_RE.fullmatch(name)) or name.endswith(ORG_SUFFIXES)

    # ------------------------------------------------------------------ records
    def report(self) -> list[ReportRow]:
        """Known organisations a program's text names without any role cue, once per program and
        organisation (and only when no rule gave them a role in that program)."""
        placed = {(self.doc.line_program(r.index), org_key(r.name, self.registry)) for r in self.roles}
        seen: set[tuple[str, str]] = set()
        rows = []
        for i, name in self._unplaced:
            if self.doc.lines[i].blank or i == self.doc.page(i).title_index:
                continue
            k = (self.doc.line_program(i), org_key(name, self.registry))
            if k in placed or k in seen or self._is_government(name):
                continue
            seen.add(k)
            rows.append(ReportRow(self.doc.doc_id, i + 1, self.doc.lines[i].printed.strip(),
                                  f"{NO_ROLE}: {name}"))
        return rows

    def records(self) -> list[OrganizationRecord]:
        """One record per (program, organisation, role), at its first line."""
        seen: set[tuple[str, str, str]] = set()
        out = []
        for r in sorted(self.roles, key=lambda r: r.index):
            program = r.program if r.program is not None else self.doc.line_program(r.index)
            k = (program, org_key(r.name, self.registry), r.role)
            if k in seen:
                continue
            seen.add(k)
            out.append(OrganizationRecord(self.doc.doc_id, r.index + 1, program, r.name, r.role))
        return out
