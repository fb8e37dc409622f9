"""The document as the extractors see it: lines, shared vocabulary of the genre, helpers.

Every line keeps three forms: ``raw`` (as in the file), ``printed`` (raw without Markdown ``**``
emphasis, what we quote in records) and ``text`` (``printed`` folded to half-width; the same
length, so a span found in ``text`` slices ``printed``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from stikg.core.normalize import era_year, fold, parse_amount
from stikg.core.text import name_key
from stikg.inputs.registry import Resolver

# ------------------------------------------------------------------ vocabulary of the genre

_YEAR = (
    r"(?:(?P<era>令和|平成)\s*(?P<ey>\d{1,2}|元)\s*年度"
    r"|(?P<wy>20\d\d)\s*年度"
    r"|(?P<ab>[RH])\s*(?P<aby>\d{1,2})\s*(?:年度?)?)"
)
# A budget-stage label, optionally preceded by its fiscal year and supplementary round.
LABEL_RE = re.compile(
    rf"(?:{_YEAR}\s*)?(?:\(?\s*(?P<round>第\s*(?P<rn>\d+)\s*次)\s*)?"
    r"(?P<kind>前年度予算額|前年度予算|概算要求額|要求・要望額|要求要望額|要求額|補正予算額|補正予算|(?<=\d)補正(?=\s*\d)"
    r"|当初予算額|予算額\s*\(\s*案\s*\)|予算案|予算額)"
)
STAGE_OF_KIND = {
    "前年度予算額": "previous_year_budget",
    "前年度予算": "previous_year_budget",
    "概算要求額": "request",
    "要求・要望額": "request",
    "要求要望額": "request",
    "要求額": "request",
    "補正予算額": "supplementary",
    "補正予算": "supplementary",
    "補正": "supplementary",  # "R7補正300億円"
    "当初予算額": "budget",
    "予算案": "budget_draft",
    "予算額": "budget",
}
MAIN_STAGES = ("request", "budget_draft", "budget")

_N = r"\d[\d,]*(?:\.\d+)?"
YEN_RE = re.compile(
    rf"(?<![\d.,])(?:{_N}\s*兆\s*)?(?:{_N}\s*億\s*)?(?:{_N}\s*(?:千万|百万|万|千)\s*)?(?:{_N}\s*)?円"
    r"(?P<partial>\s*の内数)?"
)
NONYEN_RE = re.compile(
    rf"(?<![\d.,]){_N}\s*(?:千|百万|万|億)?\s*(?:USドル|US\$|米ドル|ドル|ユーロ|ポンド)"
)
ERA_YEAR_RE = re.compile(r"(?P<era>令和|平成)\s*(?P<y>\d{1,2}|元)\s*年")
DIGIT_RE = re.compile(r"\d")

# Headings that open a program page's first block; a second one means a new page began.
OPENING_HEADINGS = ("現状・課題", "背景・課題", "背景・概要", "背景・必要性", "課題・取組の方向性", "背景", "概要", "現状")
SECTION_HEADINGS = frozenset(
    {
        "事業内容", "事業概要", "目的", "事業目的", "事業目的・概要", "取組内容", "取組概要", "研究内容",
        "内容", "事業スキーム", "資金の流れ", "支援スキーム", "事業推進スキーム", "実施体制", "実施内容",
        "事業の目的・目標", "事業の目的・概要", "事業の目的", "事業概要・特徴", "事業概要・イメージ",
        "これまでの成果", "期待される成果例", "要求のポイント", "事業実施期間", "事業期間",
        "追加業務の概要", "基本方針・事業内容", "事業の成果", "支援規模・期間", "支援規模 期間", "支援タイプ",
        "参考資料", "今後の方向性", "今後の検討事項", "取組のイメージ", "本事業で解決する課題", "必要な取組",
        "研究例", "採択事業の概要", "採択事業の目的", "対象技術領域", "取組例",
    }
)
_PAIRS = {"【": "】", "[": "]", "<": ">", "＜": "＞", "〈": "〉", "《": "》", "(": ")", "「": "」", "〔": "〕"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
ISSUER_LINES = frozenset({"文部科学省", "文部科学省研究振興局"})

# Leading list markers and enumerators: bullets, ①, (1), 1., I, ○ …
ENUM_RE = re.compile(
    r"^(?:\s|[-–—・･*#>]|[○◯●•◆◇■□◼▪◾★☆✓✔▷▶➡⇒→➤]|[①-⑳]|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]\.?"
    r"|\(\s*\d{1,2}\s*\)|\(\s*[ivx]{1,4}\s*\)|\d{1,2}\s*[.．]\s|\d{1,2}\s(?=\S)|[IVX]{1,4}\s(?=\S)"
    r"|[A-Z]\s*[:：]\s|領域\s*\d\s)+"
)
_PARTICLE_END = tuple("をにがはでとへもやてしたるいうかよ")


@dataclass
class Line:
    """One line of the source: 1-based ``no``, ``printed`` and folded ``text`` (same length)."""

    no: int
    raw: str
    printed: str
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    @property
    def stripped(self) -> str:
        return self.text.strip()


def make_lines(lines: list[str]) -> list[Line]:
    """Wrap source lines (with or without their newline) as :class:`Line` objects."""
    out = []
    for i, raw in enumerate(lines):
        raw = raw.rstrip("\r\n")
        printed = raw.replace("**", "")
        out.append(Line(i + 1, raw, printed, fold(printed)))
    return out


@lru_cache(maxsize=65536)
def strip_enum(text: str) -> str:
    """Drop leading bullets/enumerators (``- ``, ``①``, ``(1)``, ``1.``, ``○`` …)."""
    return ENUM_RE.sub("", text).strip()


def strip_brackets(text: str) -> str:
    """Drop outer bracket pairs (``【…】``, ``<…>``, ``(…)``) and lone unmatched edge brackets."""
    s = text.strip()
    while s:
        first, last = s[0], s[-1]
        if first in _PAIRS and last == _PAIRS[first] and len(s) >= 2 and _balanced(s[1:-1]):
            s = s[1:-1].strip()
        elif first in _PAIRS and _PAIRS[first] not in s:
            s = s[1:].strip()
        elif last in _CLOSERS and _CLOSERS[last] not in s:
            s = s[:-1].strip()
        elif first in _CLOSERS:
            s = s[1:].strip()
        elif last in _PAIRS:
            s = s[:-1].strip()
        else:
            break
    return s


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch in _PAIRS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


@lru_cache(maxsize=65536)
def bare(text: str) -> str:
    """Text without enumerators, outer 【】/<> brackets and trailing colons: a heading's words."""
    s = strip_enum(text.strip())
    s = strip_brackets(s.rstrip(":：").strip())
    return strip_enum(s).rstrip(":：").strip()


@lru_cache(maxsize=65536)
def core_of(printed: str) -> str:
    """:func:`bare` applied to a printed string, returning the printed (not folded) characters."""
    folded = fold(printed)
    core = bare(folded.strip().rstrip(" (【「:-—–"))
    if not core:
        return ""
    start = folded.find(core)
    return printed[start : start + len(core)].strip() if start >= 0 else core


@lru_cache(maxsize=65536)
def is_opening_heading(text: str) -> bool:
    """現状・課題 / 背景・課題 … (optionally followed by ``/ 事業内容`` and the like)."""
    s = bare(text)
    if len(s) > 40:
        return False
    for h in OPENING_HEADINGS:
        if s == h or (s.startswith(h) and s[len(h)] in " /／・|"):
            return True
    return False


@lru_cache(maxsize=65536)
def is_section_heading(text: str) -> bool:
    """A fixed heading of the genre (事業内容, 事業スキーム, 令和7年度概算要求のポイント …)."""
    s = bare(text)
    if not s:
        return False
    if is_opening_heading(s) or s in SECTION_HEADINGS:
        return True
    return len(s) <= 30 and (s.endswith("のポイント") or s.endswith("の骨子"))


@lru_cache(maxsize=65536)
def is_subtitle(text: str, latin: bool = True) -> bool:
    """A subtitle under a title: wholly in parentheses, between ～ marks, or (``latin``) mostly Latin."""
    s = text.strip()
    if not s or "担当" in s:
        return False
    if (s[0] in "(（" and s[-1] in ")）") or s[0] in "~～〜":
        return True
    if not latin:
        return False
    ascii_chars = sum(1 for ch in s if ch.isascii())
    return ascii_chars / len(s) >= 0.8 and not DIGIT_RE.search(s)


@lru_cache(maxsize=65536)
def is_heading_like(text: str) -> bool:
    """A short noun phrase line: a title, a sub-program name, a diagram label."""
    s = text.strip()
    if not s or len(s) > 100 or "。" in s or s.startswith(("※", "*")) or s.endswith((":", "：")):
        return False
    if "担当" in s and s[0] in "(（":
        return False
    if yen_matches(s) or first_label(s) or is_section_heading(s):
        return False
    core = bare(s)
    if not core or core in ISSUER_LINES or "、" in core:
        return False
    if core.count("「") != core.count("」") or core.count("(") != core.count(")"):
        return False
    if core.endswith(_PARTICLE_END) or core[-1] in ",:;":
        return False
    return any(not ch.isascii() for ch in core) or len(core) >= 4


def printed_slice(line: Line, folded: str) -> str:
    """The printed form of a folded substring of ``line`` (the folded text when it is not there)."""
    pos = line.text.find(folded)
    if pos >= 0:
        return line.printed[pos: pos + len(folded)].strip()
    return folded


def labels(text: str) -> list[re.Match]:
    """Stage labels of a line (a cheap substring test first: most lines have none)."""
    if "予算" not in text and "要求" not in text and "補正" not in text:
        return []
    return list(LABEL_RE.finditer(text))


def first_label(text: str) -> re.Match | None:
    """The first stage label of a line, or None."""
    if "予算" not in text and "要求" not in text and "補正" not in text:
        return None
    return LABEL_RE.search(text)


def nonyen_matches(text: str) -> list[re.Match]:
    """Non-yen currency figures of a line."""
    if "ドル" not in text and "ユーロ" not in text and "ポンド" not in text and "$" not in text:
        return []
    return list(NONYEN_RE.finditer(text))


def label_year(m: re.Match) -> int | None:
    """Fiscal year printed in front of a stage label, or None."""
    try:
        if m["era"]:
            return era_year(m["era"], 1 if m["ey"] == "元" else int(m["ey"]))
        if m["wy"]:
            return int(m["wy"])
        if m["ab"]:
            return era_year(m["ab"], int(m["aby"]))
    except ValueError:
        return None
    return None


def label_stage(m: re.Match) -> str:
    """Gold stage code of a :data:`LABEL_RE` match."""
    kind = re.sub(r"\s", "", m["kind"])
    if kind.startswith("予算額("):
        return "budget_draft"
    return STAGE_OF_KIND[kind]


def yen_matches(text: str) -> list[re.Match]:
    """Yen amount tokens of a line (only those that contain a digit)."""
    return list(_yen_matches(text))


@lru_cache(maxsize=65536)
def _yen_matches(text: str) -> tuple[re.Match, ...]:
    if "円" not in text:
        return ()
    return tuple(m for m in YEN_RE.finditer(text) if DIGIT_RE.search(m.group(0)))


def amount_value(m: re.Match) -> int:
    """Integer yen of a :data:`YEN_RE` match (ValueError if malformed)."""
    token = m.group(0)
    if m["partial"]:
        token = token[: m.start("partial") - m.start()]
    return parse_amount(token)


@lru_cache(maxsize=65536)
def is_label_only(text: str) -> bool:
    """The line is nothing but stage label(s) (and years, brackets, punctuation)."""
    if not first_label(text) or yen_matches(text):
        return False
    rest = LABEL_RE.sub("", text)
    rest = re.sub(r"[\s()（）【】\[\]:：・、,/]", "", rest)
    return rest == ""


def header_label(text: str) -> re.Match | None:
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


@dataclass(frozen=True)
class WebFrame:
    """What the web-copy frame of a document says: boilerplate lines, excerpt starts and the
    context-bearing lines (page headers and 出典情報), by 0-based index."""

    boilerplate: frozenset[int]
    breaks: frozenset[int]  # first line index of each excerpt after a break
    titles: dict[int, str]  # page-header line → its title text
    source_lines: dict[int, str]  # 出典情報 line → its text


@dataclass(frozen=True)
class Context:
    """A page's fiscal year and stage, and where they came from."""

    stage: str
    fiscal_year: int
    source: str  # header | page-title | source-line | document | argument
    line: int | None  # 1-based line of the evidence (None for an argument)
    text: str


@dataclass
class Page:
    """A page of the original pamphlet: lines [start, end) (0-based), its program and title."""

    start: int
    end: int
    title: str | None = None
    title_index: int | None = None
    program: str | None = None
    is_summary: bool = False
    items: list[tuple[int, str, bool]] = field(default_factory=list)  # (line index, name, partial)
    # how an untitled page got its program: summary, definition, summary-line, registry, continuation
    named_by: str | None = None
    context: Context | None = None  # the page's stage and fiscal year (stikg.extract.context)


@dataclass
class Doc:
    """Shared state for the extractors of one document."""

    doc_id: str
    lines: list[Line]
    registry: Resolver | None = None
    pages: list[Page] = field(default_factory=list)
    page_of: list[int] = field(default_factory=list)  # line index → page index
    fiscal_year: int | None = None  # the document's fiscal year (text, else argument)
    stage: str | None = None  # the document's main stage (text, else from --kind)
    known_programs: set[str] = field(default_factory=set)  # name keys
    item_programs: dict[int, str] = field(default_factory=dict)  # summary item line → program name
    # lines of pages without a program that name their own (a response line "→「X」において…")
    line_programs: dict[int, str] = field(default_factory=dict)
    context_source: str | None = None  # where doc.stage/fiscal_year came from: header, title, argument …
    context_line: int | None = None
    context_text: str | None = None
    row_programs: dict[int, str] = field(default_factory=dict)  # comparison-table line → its row's program
    breaks: frozenset[int] = frozenset()  # line indices that start a new page whatever the rules say
    frame: WebFrame | None = None  # the frame of a web copy (stikg.extract.context.web_frame)

    def page(self, index: int) -> Page:
        """The page holding line ``index`` (0-based)."""
        return self.pages[self.page_of[index]]

    def program_at(self, index: int) -> str:
        """The program of the page holding line ``index`` ('' when unknown)."""
        return self.page(index).program or ""

    def line_program(self, index: int) -> str:
        """The program a line speaks of: on a summary page the list item it belongs to (the item
        line and the lines right under it), elsewhere the page's program."""
        if index in self.row_programs:
            return self.row_programs[index]
        page = self.page(index)
        if page.is_summary:
            for item_index, name, _ in reversed(page.items):
                if item_index <= index:
                    if index - item_index <= 3:
                        return self.item_programs.get(item_index, name)
                    break
        return page.program or self.line_programs.get(index, "")

    def prev_nonblank(self, index: int, within: int | None = None) -> int | None:
        """Index of the nearest non-blank line before ``index`` (optionally at most ``within`` back)."""
        j = index - 1
        while j >= 0 and (within is None or index - j <= within):
            if j + 1 in self.breaks:
                return None  # an excerpt break: the text before it is another page's
            if not self.lines[j].blank:
                return j
            j -= 1
        return None

    def next_nonblank(self, index: int, within: int | None = None) -> int | None:
        """Index of the nearest non-blank line after ``index``."""
        j = index + 1
        while j < len(self.lines) and (within is None or j - index <= within):
            if j in self.breaks:
                return None
            if not self.lines[j].blank:
                return j
            j += 1
        return None

    def cell_before(self, index: int) -> tuple[int, str] | None:
        """The block of adjacent non-blank lines ending just before ``index`` (skipping blanks),
        joined without separators: a heading broken over several lines in the PDF text."""
        j = self.prev_nonblank(index)
        if j is None:
            return None
        start = j
        total = len(self.lines[j].text.strip())
        while start - 1 >= 0 and index - start < 6:
            prev = self.lines[start - 1].text.strip()
            # only short wrapped fragments of one label ("管理費・" / "公租公課") are joined; a block
            # heading (事業概要, 【主なプロジェクト】) or a line above a bulleted one is not a fragment
            if not prev or "。" in prev or len(prev) > 20 or total + len(prev) > 60 or start in self.breaks:
                break
            if is_section_heading(prev) or prev.startswith("【") or strip_enum(self.lines[start].text.strip()) != \
                    self.lines[start].text.strip():
                break
            total += len(prev)
            start -= 1
        parts = [self.lines[k].printed.strip() for k in range(start, j + 1)]
        return start, "".join(parts)


@lru_cache(maxsize=65536)
def key(name: str) -> str:
    """Matching key of a printed name (stikg.core.text.name_key)."""
    return name_key(name)


def clear_caches() -> None:
    """Empty the memo caches of the line predicates (for honest cold-start benchmarks)."""
    for fn in (strip_enum, core_of, bare, is_opening_heading, is_section_heading, is_subtitle, is_heading_like,
               is_label_only, key, _yen_matches):
        fn.cache_clear()
