"""Synthetic corpus of the genre at any size: ``stikg synth --programs N --years Y --out DIR``.

The generator writes a whole project root that ``stikg build --root DIR`` builds:

* ``sources/*.txt`` — one document per fiscal year × issuing office (a MEXT bureau's division, or
  another ministry's office), in the genre's own text form: program pages with their budget
  header in each printed layout of the real pamphlets (``令和7年度要求・要望額 52億円`` /
  ``(前年度予算額 7億円)``, the split PDF layout with labels and figures on separate lines,
  ``令和7年度予算額（案）``, ``令和6年度第1次補正予算額``, ``…：152億円（5年間）`` funds, ``の内数``,
  ``(新規)``, every unit — 億円, 百万円, 千万円, 千円, 万円 — with commas, decimals and full-width
  digits), sub-program lines, strategy citations (``【…（令和6年6月4日閣議決定）】``, a name with its
  decision on the next line, ``「…」（…閣議決定）等に基づき``, unquoted ``○…(…閣議決定)``, plain
  mentions), organisations with their roles (``…において``, ``…を中核とした``, ``…との連携``,
  ``…を通じて``, ``委託先：…``, ``※…運営費交付金の内数``), ``事業実施期間``, ``【事業スキーム】`` flows
  (``国 → AMED (補助金) → 大学等 (委託)``, and the multi-line diagram text) and the
  ``（担当：…）`` office line; documents of a draft-budget year open with a section page that lists
  every program (the summary list of the genre);
* ``sources/catalog.yaml``;
* ``mappings/registry/*.yaml`` — identity of everything the documents name (programs and their
  sub-programs and predecessors, offices, agencies, institutes, universities, strategy editions),
  so the graph has English labels and registry IRIs as the curated corpus does;
* ``ground-truth/<doc-stem>/{amounts,citations,organizations,flows}.csv`` — what was generated,
  in the gold format (``../shared/gold-dev/GOLD_FORMAT.md``): ``stikg eval ground-truth
  mappings/extracted --registry mappings/registry`` scores the extractor after a build;
* copies of the project's ``ontology/``, ``shapes/`` and ``queries/``.

Everything derives from ``--seed``: the same arguments (and the same ontology/shapes/queries)
give byte-identical files. A size whose build would not fit in memory is refused up front, with
the estimate (:func:`estimate`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from stikg import __version__
from stikg.core import atomic
from stikg.core.errors import StikgError

LAST_FISCAL_YEAR = 2025
MAX_YEARS = 24  # back to FY2002: 経済財政運営と改革の基本方針 editions exist from 2001
MARKER = ".stikg-synth.json"

# ---------------------------------------------------------------------------------- size model
# Calibrated on built synthetic corpora (quads in kg/ = asserted + inferred + ontology; measured by
# benchmarks/run_all.py): 500×10 → 118k quads, 5000×10 → 1.14M quads, i.e. ~67 quads per program
# and fiscal year it is printed in, ~9 per program for its registry entries, ~14 per document.
QUADS_PER_PROGRAM_YEAR = 67.0
QUADS_PER_PROGRAM = 9.0
QUADS_PER_DOCUMENT = 14.0
QUADS_FIXED = 3_000
# Peak RSS of `stikg build` per quad in kg/ (rdflib terms in Python sets, the rdflib graph pyshacl
# validates, its report) plus the interpreter and libraries, measured at 0.12M and 1.1M quads.
BYTES_PER_QUAD = 2_600
BASE_BYTES = 400 * 2**20


class SynthError(StikgError):
    """The synthetic corpus cannot be generated (bad size, memory, output directory)."""


# ------------------------------------------------------------------------------- vocabulary
# (Japanese, English) word lists that compose program and office names.
FIELDS: tuple[tuple[str, str], ...] = (
    ("量子", "Quantum"), ("AI", "AI"), ("半導体", "Semiconductor"), ("マテリアル", "Materials"),
    ("バイオ", "Bio"), ("脳科学", "Brain Science"), ("再生医療", "Regenerative Medicine"),
    ("ゲノム", "Genome"), ("感染症", "Infectious Disease"), ("宇宙", "Space"), ("海洋", "Ocean"),
    ("防災", "Disaster Resilience"), ("環境エネルギー", "Environment and Energy"), ("核融合", "Fusion"),
    ("光・量子", "Photon and Quantum"), ("数理科学", "Mathematical Sciences"), ("情報基盤", "Information Infrastructure"),
    ("データ科学", "Data Science"), ("ナノテクノロジー", "Nanotechnology"), ("ロボティクス", "Robotics"),
    ("農業", "Agriculture"), ("食料", "Food"), ("医療機器", "Medical Device"), ("創薬", "Drug Discovery"),
    ("がん", "Cancer"), ("認知症", "Dementia"), ("気候変動", "Climate Change"), ("原子力", "Nuclear"),
    ("加速器", "Accelerator"), ("素粒子", "Particle Physics"), ("天文学", "Astronomy"), ("地球科学", "Earth Science"),
    ("水素", "Hydrogen"), ("蓄電池", "Battery"), ("次世代通信", "Next-Generation Communication"),
    ("サイバーセキュリティ", "Cybersecurity"), ("人文社会科学", "Humanities and Social Sciences"),
    ("スポーツ科学", "Sport Science"), ("スマート農業", "Smart Agriculture"), ("防衛技術", "Dual-Use Technology"),
    ("生命科学", "Life Science"), ("計算科学", "Computational Science"), ("極限環境", "Extreme Environment"),
    ("生物多様性", "Biodiversity"), ("資源循環", "Resource Circulation"), ("健康長寿", "Healthy Longevity"),
    ("免疫学", "Immunology"), ("放射線", "Radiation"),
)
PREFIXES: tuple[tuple[str, str], ...] = (
    ("", ""), ("次世代", "Next-Generation "), ("革新的", "Innovative "), ("戦略的", "Strategic "),
    ("先端", "Advanced "),
)
THEMES: tuple[tuple[str, str], ...] = (
    ("基盤技術開発", "Fundamental Technology Development"), ("研究開発", "Research and Development"),
    ("研究拠点形成", "Research Hub Formation"), ("人材育成", "Human Resource Development"),
    ("社会実装", "Social Implementation"), ("国際共同研究", "International Joint Research"),
    ("共用基盤整備", "Shared Infrastructure"), ("基礎研究強化", "Basic Research Enhancement"),
    ("産学連携", "Industry-Academia Collaboration"), ("イノベーション創出", "Innovation Creation"),
    ("実証研究", "Demonstration Research"), ("データ基盤構築", "Data Platform Construction"),
    ("研究環境整備", "Research Environment Improvement"), ("若手研究者育成", "Early-Career Researcher Development"),
    ("評価技術開発", "Evaluation Technology Development"),
)
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("事業", "Project"), ("プログラム", "Program"), ("プロジェクト", "Initiative"), ("推進事業", "Promotion Project"),
    ("支援事業", "Support Project"), ("加速プログラム", "Acceleration Program"),
)
SUB_KINDS: tuple[tuple[str, str], ...] = (
    ("基盤研究", "Basic Research"), ("研究拠点整備", "Hub Development"), ("人材育成プログラム", "Training Program"),
    ("共同研究", "Joint Research"), ("実証研究", "Demonstration"), ("データ基盤", "Data Platform"),
    ("国際連携", "International Collaboration"), ("設備整備", "Facility Development"),
    ("萌芽研究", "Exploratory Research"), ("社会実装支援", "Implementation Support"),
)
FUND_KINDS: tuple[tuple[str, str], ...] = (
    ("スタートアップ支援", "Startup Support Fund"), ("研究設備整備", "Research Equipment Fund"),
    ("人材育成", "Human Resource Fund"), ("国際頭脳循環", "Brain Circulation Fund"),
)

# Issuing bureaus: (ministry id, ministry name, bureau id, bureau name, bureau name_en).
BUREAUS: tuple[tuple[str, str, str, str, str], ...] = (
    ("mext", "文部科学省", "mext-research-promotion-bureau", "研究振興局", "Research Promotion Bureau"),
    ("mext", "文部科学省", "mext-science-technology-policy-bureau", "科学技術・学術政策局",
     "Science and Technology Policy Bureau"),
    ("mext", "文部科学省", "mext-research-development-bureau", "研究開発局", "Research and Development Bureau"),
    ("mext", "文部科学省", "mext-higher-education-bureau", "高等教育局", "Higher Education Bureau"),
    ("meti", "経済産業省", "meti-industrial-science-technology-bureau", "産業技術環境局",
     "Industrial Science and Technology Policy and Environment Bureau"),
    ("mhlw", "厚生労働省", "mhlw-minister-secretariat", "大臣官房", "Minister's Secretariat"),
    ("maff", "農林水産省", "maff-agriculture-forestry-fisheries-research-council",
     "農林水産技術会議事務局", "Agriculture, Forestry and Fisheries Research Council Secretariat"),
)
# Office name patterns within a bureau: (Japanese pattern, English pattern).
OFFICE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("{f}研究推進課", "{F} Research Promotion Division"),
    ("参事官（{f}担当）付", "Office of the Counselor for {F}"),
    ("{f}研究推進室", "{F} Research Promotion Office"),
)

# (id, name_ja, name_en, type, short_name, aliases, printed variants used in the text)
Org = tuple[str, str, str, str, str | None, tuple[str, ...], tuple[str, ...]]
MINISTRIES: tuple[Org, ...] = (
    ("mext", "文部科学省", "Ministry of Education, Culture, Sports, Science and Technology (MEXT)", "ministry", "MEXT",
     ("文科省",), ("文部科学省",)),
    ("meti", "経済産業省", "Ministry of Economy, Trade and Industry (METI)", "ministry", "METI", ("経産省",),
     ("経済産業省", "経産省")),
    ("mhlw", "厚生労働省", "Ministry of Health, Labour and Welfare (MHLW)", "ministry", "MHLW", ("厚労省",),
     ("厚生労働省", "厚労省")),
    ("mic", "総務省", "Ministry of Internal Affairs and Communications (MIC)", "ministry", "MIC", (), ("総務省",)),
    ("maff", "農林水産省", "Ministry of Agriculture, Forestry and Fisheries (MAFF)", "ministry", "MAFF", ("農水省",),
     ("農林水産省",)),
    ("cabinet-office", "内閣府", "Cabinet Office", "government", None, (), ("内閣府",)),
)
AGENCIES: tuple[Org, ...] = (
    ("jst", "科学技術振興機構", "Japan Science and Technology Agency (JST)", "funding_agency", "JST",
     ("国立研究開発法人科学技術振興機構", "科学技術振興機構（JST）"), ("JST", "科学技術振興機構")),
    ("amed", "日本医療研究開発機構", "Japan Agency for Medical Research and Development (AMED)", "funding_agency",
     "AMED", ("日本医療研究開発機構（AMED）", "国立研究開発法人日本医療研究開発機構"), ("AMED", "日本医療研究開発機構")),
    ("jsps", "日本学術振興会", "Japan Society for the Promotion of Science (JSPS)", "funding_agency", "JSPS",
     ("独立行政法人日本学術振興会",), ("JSPS", "日本学術振興会")),
    ("nedo", "新エネルギー・産業技術総合開発機構", "New Energy and Industrial Technology Development Organization (NEDO)",
     "funding_agency", "NEDO", ("国立研究開発法人新エネルギー・産業技術総合開発機構",), ("NEDO",)),
)
INSTITUTES: tuple[Org, ...] = (
    ("riken", "理化学研究所", "RIKEN", "research_institute", "理研", ("国立研究開発法人理化学研究所",),
     ("理化学研究所", "国立研究開発法人理化学研究所", "理研")),
    ("nims", "物質・材料研究機構", "National Institute for Materials Science (NIMS)", "research_institute", "NIMS",
     ("国立研究開発法人物質・材料研究機構",), ("物質・材料研究機構", "物質・材料研究機構（NIMS）")),
    ("qst", "量子科学技術研究開発機構", "National Institutes for Quantum Science and Technology (QST)",
     "research_institute", "QST", (), ("量子科学技術研究開発機構", "QST")),
    ("nii", "国立情報学研究所", "National Institute of Informatics (NII)", "research_institute", "NII", (),
     ("国立情報学研究所", "国立情報学研究所（NII）")),
    ("jaxa", "宇宙航空研究開発機構", "Japan Aerospace Exploration Agency (JAXA)", "research_institute", "JAXA", (),
     ("宇宙航空研究開発機構", "JAXA")),
    ("jamstec", "海洋研究開発機構", "Japan Agency for Marine-Earth Science and Technology (JAMSTEC)",
     "research_institute", "JAMSTEC", (), ("海洋研究開発機構",)),
    ("nict", "情報通信研究機構", "National Institute of Information and Communications Technology (NICT)",
     "research_institute", "NICT", (), ("情報通信研究機構",)),
    ("aist", "産業技術総合研究所", "National Institute of Advanced Industrial Science and Technology (AIST)",
     "research_institute", "AIST", ("産総研",), ("産業技術総合研究所", "産総研")),
    ("kek", "高エネルギー加速器研究機構", "High Energy Accelerator Research Organization (KEK)", "inter_university",
     "KEK", (), ("高エネルギー加速器研究機構",)),
    ("jaea", "日本原子力研究開発機構", "Japan Atomic Energy Agency (JAEA)", "research_institute", "JAEA", (),
     ("日本原子力研究開発機構",)),
)
UNIVERSITIES: tuple[tuple[str, str, str], ...] = (
    ("utokyo", "東京大学", "The University of Tokyo"), ("kyoto-u", "京都大学", "Kyoto University"),
    ("osaka-u", "大阪大学", "Osaka University"), ("tohoku-u", "東北大学", "Tohoku University"),
    ("nagoya-u", "名古屋大学", "Nagoya University"), ("kyushu-u", "九州大学", "Kyushu University"),
    ("hokkaido-u", "北海道大学", "Hokkaido University"), ("tsukuba-u", "筑波大学", "University of Tsukuba"),
    ("kobe-u", "神戸大学", "Kobe University"), ("hiroshima-u", "広島大学", "Hiroshima University"),
    ("okayama-u", "岡山大学", "Okayama University"), ("chiba-u", "千葉大学", "Chiba University"),
    ("kanazawa-u", "金沢大学", "Kanazawa University"), ("kumamoto-u", "熊本大学", "Kumamoto University"),
    ("niigata-u", "新潟大学", "Niigata University"), ("shinshu-u", "信州大学", "Shinshu University"),
    ("keio-u", "慶應義塾大学", "Keio University"), ("waseda-u", "早稲田大学", "Waseda University"),
    ("tmdu", "東京医科歯科大学", "Tokyo Medical and Dental University"),
    ("yokohama-nu", "横浜国立大学", "Yokohama National University"),
)
PARTNER_MINISTRIES = ("meti", "mhlw", "mic", "maff", "cabinet-office")
# Budget sections (施策の柱) of an office: each opens with a page that lists its programs.
PILLARS: tuple[tuple[str, str], ...] = (
    ("研究開発の推進", "Promotion of Research and Development"), ("研究基盤の強化", "Strengthening Research Infrastructure"),
    ("人材育成の推進", "Human Resource Development"), ("国際連携の推進", "International Collaboration"),
    ("社会実装の推進", "Social Implementation"), ("基礎研究の振興", "Promotion of Basic Research"),
    ("拠点形成の推進", "Hub Formation"), ("研究環境の整備", "Research Environment"),
)
# An office's programs over the whole period; every active program is an item of its section's
# list each year, and a share of them also get a page of their own that year.
PROGRAMS_PER_OFFICE = 400
PROGRAMS_PER_SECTION = 100
PAGE_RATE = 0.10

# Strategy editions: (id, name_ja, name_en, type, series, edition_year, decision_date, decided_by).
Strategy = tuple[str, str, str, str, str | None, int | None, str, str]
FIXED_STRATEGIES: tuple[Strategy, ...] = (
    ("sti-basic-plan-5", "第5期科学技術基本計画", "The 5th Science and Technology Basic Plan", "plan",
     "sti-basic-plan", None, "2016-01-22", "cabinet"),
    ("sti-basic-plan-6", "第6期科学技術・イノベーション基本計画", "The 6th Science, Technology and Innovation Basic Plan",
     "plan", "sti-basic-plan", None, "2021-03-26", "cabinet"),
    ("health-medical-strategy-2", "健康・医療戦略（第2期）", "Healthcare Policy (2nd period)", "strategy", None, None,
     "2020-03-27", "cabinet"),
    ("ai-strategy-2019", "AI戦略2019", "AI Strategy 2019", "strategy", None, 2019, "2019-06-11",
     "integrated-innovation-strategy-promotion-council"),
    ("quantum-technology-innovation-strategy", "量子技術イノベーション戦略", "Quantum Technology Innovation Strategy",
     "strategy", None, None, "2020-01-21", "integrated-innovation-strategy-promotion-council"),
    ("research-capacity-young-researcher-package", "研究力強化・若手研究者支援総合パッケージ",
     "Comprehensive Package for Strengthening Research Capabilities and Supporting Young Researchers", "policy", None,
     None, "2020-01-23", "csti"),
    ("materials-innovation-strategy", "マテリアル革新力強化戦略", "Materials Innovation Strategy", "strategy", None,
     None, "2021-04-27", "integrated-innovation-strategy-promotion-council"),
    ("bioeconomy-strategy", "バイオエコノミー戦略", "Bioeconomy Strategy", "strategy", None, None, "2024-06-03",
     "integrated-innovation-strategy-promotion-council"),
)
# Annual series: decision dates of the editions the real documents cite (others are assumed).
ANNUAL_SERIES: dict[str, tuple[str, str, int, dict[int, str]]] = {
    "integrated-innovation-strategy": (
        "統合イノベーション戦略{y}", "Integrated Innovation Strategy {y}", 2019,
        {2019: "2019-06-21", 2020: "2020-07-17", 2021: "2021-06-18", 2022: "2022-06-03", 2023: "2023-06-09",
         2024: "2024-06-04", 2025: "2025-06-06"}),
    "keizai-zaisei-kihon-hoshin": (
        "経済財政運営と改革の基本方針{y}", "Basic Policy on Economic and Fiscal Management and Reform {y}", 2001,
        {2015: "2015-06-30", 2016: "2016-06-02", 2017: "2017-06-09", 2018: "2018-06-15", 2019: "2019-06-21",
         2020: "2020-07-17", 2021: "2021-06-18", 2022: "2022-06-07", 2023: "2023-06-16", 2024: "2024-06-21",
         2025: "2025-06-13"}),
}
DECIDING_BODIES = {
    "cabinet": "閣議決定",
    "integrated-innovation-strategy-promotion-council": "統合イノベーション戦略推進会議決定",
    "csti": "総合科学技術・イノベーション会議決定",
}
REGISTRY_ORGANS: tuple[Org, ...] = (
    ("government-of-japan", "国", "Government of Japan", "government", None, ("日本政府",), ()),
    ("cabinet", "内閣", "Cabinet of Japan", "government", None, ("閣議",), ()),
    ("integrated-innovation-strategy-promotion-council", "統合イノベーション戦略推進会議",
     "Integrated Innovation Strategy Promotion Council", "council", None, (), ()),
    ("csti", "総合科学技術・イノベーション会議", "Council for Science, Technology and Innovation (CSTI)", "council",
     "CSTI", (), ()),
)


# ------------------------------------------------------------------------------ plan objects
@dataclass(frozen=True)
class Office:
    """An issuing office: one document per fiscal year."""

    id: str
    name: str  # as printed in （担当：…）: bureau + office
    name_en: str
    short: str  # the office without its bureau
    bureau_id: str
    bureau: str
    ministry_id: str
    ministry: str
    field_index: int
    sections: tuple[tuple[str, str, str], ...]  # (id, name, name_en) of its budget sections


@dataclass
class Sub:
    """A sub-program printed as an item line under its program."""

    id: str
    name: str
    name_en: str
    share: float
    start: int


@dataclass
class Program:
    """One program (事業) over its lifetime."""

    index: int
    id: str
    name: str  # printed title (with its abbreviation when it has one)
    name_en: str
    short: str | None
    office: Office
    field_index: int
    start: int
    end: int
    ongoing: bool
    budget: dict[int, int]  # enacted budget per fiscal year, in millions of yen
    request_rate: float
    scheme: str  # agency | direct | institute
    agency: Org | None
    institute: Org
    university: tuple[str, str, str]
    partner: str
    partial: bool
    section: int = 0
    pages: frozenset[int] = frozenset()  # fiscal years in which it has a page of its own
    subs: list[Sub] = field(default_factory=list)
    predecessor: str | None = None
    funds: dict[int, tuple[str, str, str, int, int]] = field(default_factory=dict)  # doc FY → fund


@dataclass
class Plan:
    """Everything to generate, decided before any text is written."""

    first: int
    last: int
    offices: list[Office]
    programs: list[Program]
    strategies: list[Strategy]


def _rng(seed: int, *parts: object) -> random.Random:
    """A random stream of its own for each named part of the corpus (stable across versions)."""
    return random.Random(f"{seed}:" + ":".join(map(str, parts)))


def _millions(value: float) -> int:
    """Round an amount (millions of yen) as budgets are printed: 10 M steps from 100 M up."""
    if value >= 100:
        return max(100, int(round(value / 10.0)) * 10)
    return max(1, int(round(value)))


LIFETIMES = (2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8)


def expected_active_years(years: int) -> float:
    """Mean number of fiscal years of the window a program is printed in (exact, for estimates)."""
    total = 0.0
    for life in LIFETIMES:
        starts = range(-life + 1, years)
        total += sum(min(s + life, years) - max(s, 0) for s in starts) / len(starts)
    return total / len(LIFETIMES)


def programs_per_office(programs: int) -> int:
    return max(PROGRAMS_PER_OFFICE, math.ceil(programs / (len(FIELDS) * len(BUREAUS) * len(OFFICE_PATTERNS))))


def make_plan(programs: int, years: int, seed: int, last: int = LAST_FISCAL_YEAR) -> Plan:
    """Decide offices, programs, lifetimes, amounts and organisations (no text yet)."""
    first = last - years + 1
    used: set[str] = set()
    n_offices = max(1, math.ceil(programs / programs_per_office(programs)))
    per_office = programs_per_office(programs)
    sections = min(len(PILLARS), max(1, math.ceil(min(programs, per_office) / PROGRAMS_PER_SECTION)))
    offices = _make_offices(n_offices, sections, seed, used)
    plan_programs: list[Program] = []
    for k in range(programs):
        office = offices[k % n_offices]
        plan_programs.append(_make_program(k, office, first, last, seed, used))
    _link_predecessors(plan_programs, seed)
    return Plan(first, last, offices, plan_programs, strategy_editions(first, last))


def _unique(candidates, used: set[str]) -> str:
    from stikg.core.text import name_key

    for name in candidates:
        key = name_key(name)
        if key not in used:
            used.add(key)
            return name
    raise SynthError("ran out of distinct names")


def _make_offices(count: int, sections_per_office: int, seed: int, used: set[str]) -> list[Office]:
    slots = [(b, f, p) for f in range(len(FIELDS)) for b in range(len(BUREAUS)) for p in range(len(OFFICE_PATTERNS))]
    rng = _rng(seed, "offices")
    mext = [s for s in slots if BUREAUS[s[0]][0] == "mext"]
    other = [s for s in slots if BUREAUS[s[0]][0] != "mext"]
    rng.shuffle(mext)
    rng.shuffle(other)
    # MEXT bureaus issue most documents, as in the real corpus: one office in five is another ministry's.
    order = []
    while mext or other:
        take = other if (len(order) % 5 == 4 and other) or not mext else mext
        order.append(take.pop())
    offices = []
    for n, (b, f, p) in enumerate(order[:count]):
        ministry_id, ministry, bureau_id, bureau, _ = BUREAUS[b]
        f_ja, f_en = FIELDS[f]
        short = OFFICE_PATTERNS[p][0].format(f=f_ja)
        name = _unique([bureau + short], used)
        name_en = OFFICE_PATTERNS[p][1].format(F=f_en) + f", {BUREAUS[b][4]}"
        sections = []
        for k, (pillar, pillar_en) in enumerate(PILLARS[:sections_per_office]):
            section = _unique([f"{f_ja}分野の{pillar}", f"{f_ja}分野における{pillar}", f"{bureau}{f_ja}分野の{pillar}",
                               f"{name}関係の{pillar}"], used)
            sections.append((f"syn-section-{n:04d}-{k + 1}", section, f"{pillar_en} in {f_en} ({name_en})"))
        offices.append(Office(
            id=f"syn-office-{n:04d}", name=name, name_en=name_en, short=short, bureau_id=bureau_id, bureau=bureau,
            ministry_id=ministry_id, ministry=ministry, field_index=f, sections=tuple(sections),
        ))
    return offices


_ABBR_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _make_program(k: int, office: Office, first: int, last: int, seed: int, used: set[str]) -> Program:
    rng = _rng(seed, "program", k)
    field_index = office.field_index if rng.random() < 0.7 else rng.randrange(len(FIELDS))
    f_ja, f_en = FIELDS[field_index]
    short = None
    if rng.random() < 0.2:
        short = _unique(("".join(rng.choice(_ABBR_LETTERS) for _ in range(rng.choice((3, 4, 4, 5))))
                         for _ in range(1000)), used)

    def title(p: int, t: int, s: int, tag: str | None) -> str:
        base = f"{PREFIXES[p][0]}{f_ja}{THEMES[t][0]}{SUFFIXES[s][0]}"
        return f"{base}（{tag}）" if tag else base

    shape = (len(PREFIXES), len(THEMES), len(SUFFIXES))
    tries = [tuple(rng.randrange(n) for n in shape) for _ in range(40)]
    name, combo = None, None
    for tag in (short, f"{short or f_en[:2].upper()}-{k}"):
        for c in tries:
            try:
                name = _unique([title(*c, tag)], used)
            except SynthError:
                continue
            combo = c
            break
        if combo is not None:
            break
    if name is None or combo is None:
        raise SynthError("ran out of distinct program names")
    if name.endswith(f"-{k}）"):
        short = _unique([name[name.rindex("（") + 1:-1]], used)
    p, t, s = combo
    name_en = f"{PREFIXES[p][1]}{f_en} {THEMES[t][1]} {SUFFIXES[s][1]}" + (f" ({short})" if short else "")
    life = rng.choice(LIFETIMES)
    start = rng.randint(first - life + 1, last)
    end = start + life - 1
    base = math.exp(rng.uniform(math.log(30), math.log(30000)))
    growth = rng.uniform(-0.08, 0.15)
    budget = {fy: _millions(base * (1 + growth) ** (fy - start)) for fy in range(start - 1, end + 2)}
    scheme = rng.choices(("agency", "direct", "institute"), (0.6, 0.25, 0.15))[0]
    agency = None
    if scheme == "agency":
        health = f_ja in ("再生医療", "ゲノム", "感染症", "医療機器", "創薬", "がん", "認知症", "免疫学", "健康長寿")
        if health:
            agency = AGENCIES[1]
        elif office.ministry_id == "meti":
            agency = AGENCIES[3]
        else:
            agency = rng.choice((AGENCIES[0], AGENCIES[0], AGENCIES[2]))
    institute = rng.choice(INSTITUTES)
    prog = Program(
        index=k, id=f"syn-program-{k:05d}", name=name, name_en=name_en, short=short, office=office,
        field_index=field_index, start=start, end=end, ongoing=rng.random() < 0.3, budget=budget,
        request_rate=rng.uniform(0.0, 0.35), scheme=scheme, agency=agency, institute=institute,
        university=rng.choice(UNIVERSITIES), partner=rng.choice(PARTNER_MINISTRIES),
        partial=scheme == "institute" and rng.random() < 0.5, section=rng.randrange(len(office.sections)),
        pages=frozenset(fy for fy in range(max(start, first), min(end, last) + 1) if rng.random() < PAGE_RATE),
    )
    if not prog.partial and prog.pages:
        stem = name.split("（")[0]
        for s_kind in rng.sample(range(len(SUB_KINDS)), rng.choice((0, 0, 1, 2, 2, 3))):
            topic = rng.choice(("材料", "計測", "デバイス", "理論", "医療応用", "システム", "センサ", "ソフトウェア",
                                "環境", "社会"))
            sub_ja, sub_en = SUB_KINDS[s_kind]
            sub_name = _unique([f"{f_ja}{topic}{sub_ja}", f"{stem}{sub_ja}", f"{stem}・{topic}{sub_ja}",
                                f"{stem}{topic}{sub_ja}（{short or k}）"], used)
            prog.subs.append(Sub(id=f"{prog.id}-{len(prog.subs) + 1}", name=sub_name,
                                 name_en=f"{sub_en} of the {name_en}", share=rng.uniform(0.1, 0.3),
                                 start=rng.choice(sorted(prog.pages))))
        for fy in sorted(prog.pages):
            if fy > start and rng.random() < 0.15:
                fund_ja, fund_en = rng.choice(FUND_KINDS)
                fund_name = _unique([f"{stem}{fund_ja}基金", f"{stem}{fund_ja}基金（{fy - 1}）",
                                     f"{stem}{fund_ja}基金（{short or k}-{fy - 1}）"], used)
                prog.funds[fy] = (f"{prog.id}-fund-{fy - 1}", fund_name, f"{fund_en} of the {name_en} (FY{fy - 1})",
                                  _millions(rng.uniform(1000, 30000)), rng.choice((3, 5, 5, 10)))
    return prog


def _link_predecessors(programs: list[Program], seed: int) -> None:
    """A program that starts in the year after another of its office ended may succeed it."""
    by_office: dict[str, list[Program]] = {}
    for p in programs:
        by_office.setdefault(p.office.id, []).append(p)
    for office_programs in by_office.values():
        ended: dict[int, list[Program]] = {}
        for p in office_programs:
            ended.setdefault(p.end, []).append(p)
        taken: set[str] = set()
        for p in office_programs:
            for q in ended.get(p.start - 1, ()):
                if q.id not in taken and _rng(seed, "successor", p.index).random() < 0.5:
                    p.predecessor = q.id
                    taken.add(q.id)
                    break


def strategy_editions(first: int, last: int) -> list[Strategy]:
    """The strategies documents of FY first..last can cite: fixed ones and annual series editions."""
    out = list(FIXED_STRATEGIES)
    for series, (name, name_en, since, dates) in ANNUAL_SERIES.items():
        for year in range(max(since, first - 2), last + 1):
            date = dates.get(year, f"{year}-06-15")
            out.append((f"{series}-{year}", name.format(y=year), name_en.format(y=year), "strategy", series, year,
                        date, "cabinet"))
    return sorted(out, key=lambda s: s[0])


def in_force(strategies: list[Strategy], before: str) -> list[Strategy]:
    """The latest edition of each series decided before ``before`` (ISO date), plus the rest."""
    latest: dict[str, Strategy] = {}
    for s in strategies:
        if s[6] >= before:
            continue
        key = s[4] or s[0]
        if key not in latest or s[6] > latest[key][6]:
            latest[key] = s
    return sorted(latest.values(), key=lambda s: s[0])


# --------------------------------------------------------------------------------- printing
_FULL = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


def era(fy: int) -> str:
    """``令和7`` / ``令和元`` / ``平成30`` for a fiscal (or calendar) year."""
    if fy >= 2019:
        n = fy - 2018
        return "令和元" if n == 1 else f"令和{n}"
    return f"平成{fy - 1988}"


def yen_text(millions: int, style: str, rng: random.Random, full_width: bool) -> str:
    """An amount (millions of yen) printed in the document's unit style."""
    m = millions
    if style == "senen":
        text = f"{m * 1000:,}千円"
    elif style == "hyakuman" or (m >= 100 and m % 10):
        text = f"{m:,}百万円"
    elif m >= 100:
        text = f"{m // 100:,}億円" if m % 100 == 0 else f"{m / 100:.1f}億円"
    else:
        choices = [f"{m:,}百万円", f"{m * 100:,}万円", f"{m * 1000:,}千円"]
        if m % 10 == 0:
            choices += [f"{m // 10}千万円", f"{m / 100:.1f}億円"]
        text = rng.choice(choices)
    return text.translate(_FULL) if full_width else text


@dataclass
class Gold:
    """Ground-truth rows of one document (gold format)."""

    amounts: list[tuple] = field(default_factory=list)
    citations: list[tuple] = field(default_factory=list)
    organizations: list[tuple] = field(default_factory=list)
    flows: list[tuple] = field(default_factory=list)
    _roles: set = field(default_factory=set)


GOLD_COLUMNS = {
    "amounts": ("doc", "line", "program", "fiscal_year", "stage", "amount_yen", "amount_text", "partial", "note"),
    "citations": ("doc", "line", "program", "strategy", "strategy_text", "decision_date", "decision_body"),
    "organizations": ("doc", "line", "program", "organization", "role"),
    "flows": ("doc", "line", "program", "from_org", "to_org", "instrument"),
}


class DocWriter:
    """Lines of one document and the facts printed on them (1-based line numbers)."""

    def __init__(self, doc: str, style: str, full_width: bool, rng: random.Random):
        self.doc = doc
        self.lines: list[str] = []
        self.gold = Gold()
        self.style = style
        self.full_width = full_width
        self.rng = rng
        self.cited: list[Strategy] = []
        self.printed: set[str] = set()  # sub-program and fund ids printed (the registry lists these)

    def add(self, text: str = "") -> int:
        self.lines.append(text)
        return len(self.lines)

    def blank(self, n: int = 1) -> None:
        self.lines.extend([""] * n)

    def money(self, millions: int) -> str:
        # some documents print every figure in full-width digits; the others now and then
        return yen_text(millions, self.style, self.rng, self.full_width or self.rng.random() < 0.03)

    def amount(self, line: int, program: str, fy: int, stage: str, millions: int, text: str, partial: bool,
               note: str) -> None:
        printed = text.removesuffix("の内数")
        self.gold.amounts.append((self.doc, line, program, fy, stage, millions * 1_000_000, printed, partial, note))

    def citation(self, line: int, program: str, s: Strategy, printed: str, date: str, body: str) -> None:
        self.gold.citations.append((self.doc, line, program, s[1], printed, date, body))

    def role(self, line: int, program: str, org_id: str, printed: str, role: str) -> None:
        key = (program, org_id, role)
        if key not in self.gold._roles:  # each (program, organisation, role) once, at its first line
            self.gold._roles.add(key)
            self.gold.organizations.append((self.doc, line, program, printed, role))

    def flow(self, line: int, program: str, src: str, dst: str, instrument: str) -> None:
        self.gold.flows.append((self.doc, line, program, src, dst, instrument))


def _decision(s: Strategy, rng: random.Random) -> tuple[str, str, str]:
    """A printed decision paren's content, and the gold date and body it gives."""
    y, m, d = (int(x) for x in s[6].split("-"))
    body = DECIDING_BODIES[s[7]]
    form = rng.random()
    if form < 0.55:
        return f"{era(y)}年{m}月{d}日{body}", f"{y:04d}-{m:02d}-{d:02d}", body
    if form < 0.8:
        return f"{era(y)}年{m}月{body}", f"{y:04d}-{m:02d}", body
    return f"{y}年{m}月{body}", f"{y:04d}-{m:02d}", body


POLICY_TEXT = (
    "研究開発から社会実装までを一体的に推進し、我が国の国際競争力を強化する。",
    "基礎研究から応用研究まで切れ目なく支援し、新たな価値の創出につなげる。",
    "先端的な研究基盤の整備と共用を進め、研究の生産性を向上させる。",
    "若手研究者が挑戦できる研究環境を整備し、研究力の抜本的な強化を図る。",
)
BACKGROUND = (
    "{f}分野では国際的な研究開発競争が激化しており、我が国の研究力の相対的な低下が課題となっている。",
    "{f}に関する基盤的な研究開発を戦略的に推進し、将来の産業競争力の源泉となる技術を確立することが必要である。",
    "世界の研究動向を踏まえ、{f}分野の研究人材の育成と研究基盤の強化を一体的に進めることが求められている。",
)
OVERVIEW = (
    "{f}分野の研究開発を推進し、革新的な成果の創出と社会実装を加速する。",
    "大学等の研究者に対して広く公募を行い、ピア・レビューにより優れた研究課題を採択して支援する。",
    "ステージゲート評価を行い、有望な研究課題を重点的に支援する。",
)


# ------------------------------------------------------------------------------ documents
@dataclass(frozen=True)
class DocSpec:
    """One document: a fiscal year's budget pamphlet of one office."""

    fy: int
    office: Office
    kind: str  # budget_request | draft_budget

    @property
    def stem(self) -> str:
        return f"fy{self.fy}-{self.office.id.removeprefix('syn-')}"

    @property
    def id(self) -> str:
        return f"{self.stem}.txt"

    @property
    def date(self) -> str:
        return f"{self.fy - 1}-08" if self.kind == "budget_request" else f"{self.fy - 1}-12"

    @property
    def stage(self) -> str:
        return "request" if self.kind == "budget_request" else "budget_draft"

    @property
    def label(self) -> str:
        return "要求・要望額" if self.kind == "budget_request" else "予算額（案）"


def document_kind(seed: int, fy: int, office: Office) -> str:
    return "draft_budget" if _rng(seed, "kind", fy, office.id).random() < 0.35 else "budget_request"


def current_amount(p: Program, fy: int, stage: str) -> int:
    """The figure a document of ``stage`` prints for the program's fiscal year ``fy``."""
    budget = p.budget[fy]
    return _millions(budget * (1 + p.request_rate)) if stage == "request" else budget


def sub_amount(sub: Sub, parent_amount: int) -> int:
    return _millions(parent_amount * sub.share)


class DocumentRenderer:
    """Writes one document's text and its ground truth."""

    def __init__(self, spec: DocSpec, programs: list[Program], strategies: list[Strategy], seed: int):
        self.spec = spec
        self.programs = programs
        self.seed = seed
        rng = _rng(seed, "doc", spec.stem)
        style = rng.choices(("oku", "hyakuman", "senen"), (0.7, 0.25, 0.05))[0]
        self.w = DocWriter(spec.id, style, rng.random() < 0.1, rng)
        self.rng = rng
        self.in_force = in_force(strategies, f"{spec.date}-01")
        self.supplementary: dict[str, tuple[int, int | None]] = {}
        if spec.kind == "draft_budget":
            for p in programs:
                r = _rng(seed, "supplementary", p.index, spec.fy)
                if r.random() < 0.2:
                    self.supplementary[p.id] = (_millions(p.budget[spec.fy] * r.uniform(0.05, 0.4)),
                                                r.choice((None, None, 1, 2)))

    # ---------------------------------------------------------------- pieces
    def prev(self, p: Program) -> int | None:
        fy = self.spec.fy
        return p.budget[fy - 1] if fy > p.start else None

    def ja_stage(self) -> str:
        return f"{era(self.spec.fy)}年度{self.spec.label}"

    def render(self) -> DocWriter:
        w, spec = self.w, self.spec
        if spec.kind == "budget_request":
            w.add(f"{era(spec.fy)}年度概算要求 {spec.office.short} 主要事項")
        else:
            w.add(f"{era(spec.fy)}年度予算（案）の概要 {spec.office.short}")
        w.blank()
        w.add(f"{spec.office.ministry}{spec.office.bureau}")
        w.add(spec.office.short)
        w.blank(2)
        order = sorted(self.programs, key=lambda p: (p.section, p.index))
        for k, section in enumerate(spec.office.sections):
            members = [p for p in order if p.section == k]
            if members:
                self.section_page(section[1], members)
        for p in order:
            if spec.fy in p.pages:
                self.program_page(p)
        return w

    def section_page(self, name: str, programs: list[Program]) -> None:
        """The page that opens a budget section: its total and the list of its programs."""
        w, spec, office = self.w, self.spec, self.spec.office
        self.rng = w.rng = _rng(self.seed, "section", spec.stem, name)
        whole = [p for p in programs if not p.partial]
        total = sum(current_amount(p, spec.fy, spec.stage) for p in whole)
        prev_total = sum(self.prev(p) or 0 for p in whole)
        w.add(name)
        w.blank()
        text = w.money(total)
        line = w.add(f"{self.ja_stage()} {text}")
        w.amount(line, name, spec.fy, spec.stage, total, text, False, "section total")
        if prev_total:
            text = w.money(prev_total)
            line = w.add(f"（前年度予算額 {text}）")
            w.amount(line, name, spec.fy - 1, "previous_year_budget", prev_total, text, False, "section total")
        w.blank()
        if office.ministry_id == "mext":
            w.add("文部科学省")
            w.blank()
        w.add("背景・概要")
        w.blank()
        self.prose_citation(name, FIELDS[office.field_index][0])
        w.add(f"- {FIELDS[office.field_index][0]}分野の研究開発を総合的に推進する。")
        w.blank()
        for p in programs:
            cur = current_amount(p, spec.fy, spec.stage)
            prev = self.prev(p)
            s = "の内数" if p.partial else ""
            c = w.money(cur)
            pt = w.money(prev) if prev is not None else ""
            line = w.add(f"- {p.name} {c}{s}（新規）" if prev is None else f"- {p.name} {c}{s}（{pt}{s}）")
            w.amount(line, p.name, spec.fy, spec.stage, cur, c, p.partial, "summary list")
            if prev is not None:
                w.amount(line, p.name, spec.fy - 1, "previous_year_budget", prev, pt, p.partial, "summary list")
            if p.id in self.supplementary:
                amount, _ = self.supplementary[p.id]
                t = w.money(amount)
                line = w.add(f"【{era(spec.fy - 1)}年度補正予算額 {t}】")
                w.amount(line, p.name, spec.fy - 1, "supplementary", amount, t, False, "summary list")
        w.blank()
        line = w.add(f"（担当：{office.name}）")
        w.role(line, name, office.id, office.name, "bureau")
        w.blank(2)

    def prose_citation(self, program: str, field_ja: str) -> bool:
        """A citation in running text: 「A」（date）等に基づき / 「A」、「B」（date）等に基づき."""
        w, rng = self.w, self.rng
        if not self.in_force:
            return False
        picks = rng.sample(self.in_force, min(2, len(self.in_force)))
        a = picks[0]
        if len(picks) == 2 and rng.random() < 0.4:
            b = picks[1]
            da, db = a[6][:7], b[6][:7]
            if da == db and a[7] == b[7]:
                y, m = int(db[:4]), int(db[5:7])
                body = DECIDING_BODIES[b[7]]
                line = w.add(f"- 「{a[1]}」、「{b[1]}」（{era(y)}年{m}月{body}）等に基づき、{field_ja}分野の研究開発を推進する。")
                w.citation(line, program, a, a[1], db, body)
                w.citation(line, program, b, b[1], db, body)
                self.w.cited.extend((a, b))
                return True
        text, date, body = _decision(a, rng)
        line = w.add(f"- 「{a[1]}」（{text}）等に基づき、{field_ja}分野の研究開発を推進する。")
        w.citation(line, program, a, a[1], date, body)
        self.w.cited.append(a)
        return True

    def heading_citation(self, program: str) -> None:
        """A citation printed as a heading above the strategy's own words."""
        w, rng = self.w, self.rng
        if not self.in_force:
            return
        s = rng.choice(self.in_force)
        text, date, body = _decision(s, rng)
        form = rng.random()
        if form < 0.4:
            line = w.add(f"【{s[1]}（{text}）】")
        elif form < 0.7:
            line = w.add(f"【{s[1]}】")
            w.add(f"（{text}）")
        else:
            line = w.add(f"○{s[1]}（{text}）")
        w.citation(line, program, s, s[1], date, body)
        w.cited.append(s)
        w.add(rng.choice(POLICY_TEXT))
        w.blank()

    def program_page(self, p: Program) -> None:
        w, spec, rng = self.w, self.spec, _rng(self.seed, "page", p.index, self.spec.fy)
        self.rng = w.rng = rng
        fy, stage = spec.fy, spec.stage
        f_ja = FIELDS[p.field_index][0]
        cur, prev = current_amount(p, fy, stage), self.prev(p)
        s = "の内数" if p.partial else ""
        c = w.money(cur)
        pt = w.money(prev) if prev is not None else None
        label = self.ja_stage()
        layout = rng.random()
        if layout < 0.15 and prev is not None:
            line = w.add(f"{p.name} {label} {c}{s}")
            w.amount(line, p.name, fy, stage, cur, c, p.partial, "inline title")
            line = w.add(f"（前年度予算額 {pt}{s}）")
            w.amount(line, p.name, fy - 1, "previous_year_budget", prev, pt, p.partial, "header")
        else:
            w.add(p.name)
            if rng.random() < 0.3:
                w.add(f"～ {p.name_en} ～")
            w.blank()
            if layout < 0.55:
                line = w.add(f"{label} {c}{s}")
                w.amount(line, p.name, fy, stage, cur, c, p.partial, "header")
                if prev is None:
                    w.add("(新規)")
                else:
                    line = w.add(f"(前年度予算額 {pt}{s})" if rng.random() < 0.5 else f"（前年度予算額 {pt}{s}）")
                    w.amount(line, p.name, fy - 1, "previous_year_budget", prev, pt, p.partial, "header")
            elif layout < 0.8:
                w.add(label)
                if prev is not None:
                    w.add("(前年度予算額)")
                w.blank()
                line = w.add(f"{c}{s}")
                w.amount(line, p.name, fy, stage, cur, c, p.partial, "split header")
                if prev is None:
                    w.add("(新規)")
                else:
                    line = w.add(f"{pt}{s})")
                    w.amount(line, p.name, fy - 1, "previous_year_budget", prev, pt, p.partial, "split header")
            else:
                sep = "：" if rng.random() < 0.5 else " "
                if prev is None:
                    line = w.add(f"{label}{sep}{c}{s}(新規)")
                    w.amount(line, p.name, fy, stage, cur, c, p.partial, "one-line header")
                else:
                    line = w.add(f"{label}{sep}{c}{s} ({pt}{s})")
                    w.amount(line, p.name, fy, stage, cur, c, p.partial, "one-line header")
                    w.amount(line, p.name, fy - 1, "previous_year_budget", prev, pt, p.partial, "bracketed")
        if p.id in self.supplementary:
            amount, round_ = self.supplementary[p.id]
            t = w.money(amount)
            head = f"{era(fy - 1)}年度{f'第{round_}次' if round_ else ''}補正予算額"
            if rng.random() < 0.5:
                line = w.add(f"{head} {t}")
            else:
                w.blank()
                w.add(head)
                w.blank()
                line = w.add(t)
            w.amount(line, p.name, fy - 1, "supplementary", amount, t, False, f"第{round_}次" if round_ else "")
        if p.partial:
            inst = rng.choice(p.institute[6])
            line = w.add(f"※{inst}運営費交付金の内数")
            w.role(line, p.name, p.institute[0], inst, "implementer")
        elif rng.random() < 0.3:
            w.add("※運営費交付金中の推計額含む")
        w.blank()
        if p.office.ministry_id == "mext" and rng.random() < 0.6:
            w.add("文部科学省")
            w.blank()
        w.add(rng.choice(("背景・課題", "現状・課題")))
        w.blank()
        for text in rng.sample(BACKGROUND, rng.choice((1, 2))):
            w.add("- " + text.format(f=f_ja))
        if rng.random() < 0.35:
            partner = next(m for m in MINISTRIES if m[0] == p.partner)
            printed = rng.choice(partner[6])
            line = w.add(f"- {printed}との連携により、{f_ja}分野の研究成果の社会実装を加速する。")
            w.role(line, p.name, partner[0], printed, "partner")
        if rng.random() < 0.3:
            self.prose_citation(p.name, f_ja)
        w.blank()
        if rng.random() < 0.6:
            self.heading_citation(p.name)
        elif rng.random() < 0.5 and w.cited:
            s_ = rng.choice(w.cited)
            line = w.add(f"- {s_[1]}に基づき、{f_ja}分野の取組を加速する。")
            w.citation(line, p.name, s_, s_[1], "", "")
            w.blank()
        w.add(rng.choice(("事業概要", "事業内容")))
        w.blank()
        w.add("- " + rng.choice(OVERVIEW).format(f=f_ja))
        if p.scheme == "institute" or rng.random() < 0.3:
            inst = rng.choice(p.institute[6])
            line = w.add(f"- {inst}において、{f_ja}に関する研究開発を一体的に実施する。")
            w.role(line, p.name, p.institute[0], inst, "implementer")
        if rng.random() < 0.3:
            line = w.add(f"- {p.university[1]}を中核とした研究拠点を形成し、国内外の研究者を結集する。")
            w.role(line, p.name, p.university[0], p.university[1], "host")
        if p.agency is not None and rng.random() < 0.3:
            printed = rng.choice(p.agency[6])
            line = w.add(f"- {printed}を通じて、大学等の研究者に研究費を配分する。")
            w.role(line, p.name, p.agency[0], printed, "funding_agency")
        if p.scheme == "direct" and rng.random() < 0.3:
            line = w.add(f"- 委託先：{p.university[1]}")
            w.role(line, p.name, p.university[0], p.university[1], "recipient")
        w.blank()
        self.sub_programs(p, cur, prev)
        self.fund(p)
        if rng.random() < 0.7:
            self.period(p)
        if rng.random() < 0.8:
            self.scheme(p)
        office = p.office.name
        form = rng.random()
        if form < 0.6:
            line = w.add(f"（担当：{office}）")
        elif form < 0.85:
            line = w.add(f"(担当: {office})")
        else:
            line = w.add(f"(担当：{office}) {rng.randint(1, 40)}")
        w.role(line, p.name, p.office.id, office, "bureau")
        w.blank(2)

    def sub_programs(self, p: Program, cur: int, prev: int | None) -> None:
        w, rng, fy, stage = self.w, self.rng, self.spec.fy, self.spec.stage
        subs = [s for s in p.subs if s.start <= fy]
        if not subs:
            return
        numbered = rng.random() < 0.4
        for n, sub in enumerate(subs):
            path = f"{p.name} > {sub.name}"
            sc = sub_amount(sub, cur)
            sp = sub_amount(sub, prev) if prev is not None and sub.start < fy else None
            ct = w.money(sc)
            pt = w.money(sp) if sp is not None else None
            if numbered:
                w.add(f"{'①②③④⑤'[n]} {sub.name}")
                w.blank()
                line = w.add(f"{ct}（新規）" if sp is None else f"{ct}（前年度予算額：{pt}）")
                w.blank()
            else:
                line = w.add(f"- {sub.name} {ct}（新規）" if sp is None else f"- {sub.name} {ct}（{pt}）")
            w.amount(line, path, fy, stage, sc, ct, False, "sub-program")
            w.printed.add(sub.id)
            if sp is not None:
                w.amount(line, path, fy - 1, "previous_year_budget", sp, pt, False, "sub-program")
        w.blank()

    def fund(self, p: Program) -> None:
        w, fy = self.w, self.spec.fy
        if fy not in p.funds:
            return
        fund_id, name, _, amount, years = p.funds[fy]
        w.printed.add(fund_id)
        w.add(f"{era(fy - 1)}年度補正予算において、以下について基金を措置")
        w.blank()
        t = w.money(amount)
        line = w.add(f"{name}：{t}（{years}年間）")
        w.amount(line, f"{p.name} > {name}", fy - 1, "fund", amount, t, False, f"multi-year fund ({years}年間)")
        w.blank()

    def period(self, p: Program) -> None:
        w, rng = self.w, self.rng
        end = "" if p.ongoing else f"{era(p.end)}年度"
        if rng.random() < 0.6:
            w.add("事業実施期間")
            w.blank()
            w.add(f"{era(p.start)}年度～{end}")
        else:
            w.add(f"（事業期間：{era(p.start)}年度～{end}）")
        w.blank()

    def scheme(self, p: Program) -> None:
        w, rng = self.w, self.rng
        if p.scheme == "agency" and p.agency is not None:
            agency = p.agency
            printed = rng.choice(agency[6])
            i1 = rng.choice(("補助金", "運営費交付金")) if agency[0] != "jsps" else "補助金"
            i2 = rng.choice(("委託", "補助"))
            named = rng.random() < 0.3
            recipient = p.university[1] if named else rng.choice(("大学等", "大学・国立研究開発法人等", "民間企業等"))
            if rng.random() < 0.6:
                w.add("【事業スキーム】")
                w.blank()
                line = w.add(f"国 → {printed} ({i1}) → {recipient} ({i2})")
                w.flow(line, p.name, "国", printed, i1)
                w.flow(line, p.name, printed, recipient, i2)
                w.role(line, p.name, agency[0], printed, "funding_agency")
                if named:
                    w.role(line, p.name, p.university[0], recipient, "recipient")
            else:
                head = w.add(f"【事業スキーム】 国 {printed}")
                w.role(head, p.name, agency[0], printed, "funding_agency")
                w.blank()
                line = w.add(i1)
                w.flow(line, p.name, "国", printed, i1)
                w.blank()
                at = w.add(recipient)
                if named:
                    w.role(at, p.name, p.university[0], recipient, "recipient")
                w.blank()
                line = w.add(i2)
                w.flow(line, p.name, printed, recipient, i2)
        elif p.scheme == "institute":
            printed = p.institute[1]
            w.add("【事業スキーム】")
            w.blank()
            line = w.add(f"国 → {printed} (運営費交付金)")
            w.flow(line, p.name, "国", printed, "運営費交付金")
            w.role(line, p.name, p.institute[0], printed, "recipient")
        else:
            named = rng.random() < 0.3
            recipient = p.university[1] if named else rng.choice(("大学等", "大学・国立研究開発法人等"))
            instrument = rng.choice(("委託", "補助金"))
            w.add("【事業スキーム】")
            w.blank()
            line = w.add(f"国 → {recipient} ({instrument})")
            w.flow(line, p.name, "国", recipient, instrument)
            if named:
                w.role(line, p.name, p.university[0], recipient, "recipient")
        w.blank()


# ------------------------------------------------------------------------- registry, catalog
def _yaml(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML double-quoted scalars)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _entries_yaml(header: str, entries: list[dict]) -> str:
    out = [header.rstrip() + "\n"]
    for entry in entries:
        first = True
        for key, value in entry.items():
            if value is None or value == []:
                continue
            lead = "- " if first else "  "
            first = False
            if isinstance(value, list):
                out.append(f"{lead}{key}:\n" + "".join(f"    - {_yaml(v)}\n" for v in value))
            else:
                out.append(f"{lead}{key}: {_yaml(value)}\n")
        out.append("\n")
    return "".join(out)


def _org_entry(org: Org, parent: str | None = None) -> dict:
    return {"id": org[0], "name_ja": org[1], "name_en": org[2], "type": org[3], "parent": parent,
            "short_name": org[4], "aliases": list(org[5])}


def registry_files(plan: Plan, offices_used: list[Office], printed: set[str]) -> dict[str, str]:
    """The four registry YAML files of the synthetic corpus."""
    note = "# Synthetic registry written by `stikg synth` (identity of what the synthetic documents name).\n"
    parents = {"cabinet-office": "cabinet", "integrated-innovation-strategy-promotion-council": "cabinet",
               "csti": "cabinet-office"}
    orgs: list[dict] = [_org_entry(o, parents.get(o[0])) for o in (*REGISTRY_ORGANS, *MINISTRIES)]
    for ministry_id, _, bureau_id, bureau, bureau_en in BUREAUS:
        ministry = next(m for m in MINISTRIES if m[0] == ministry_id)
        orgs.append({"id": bureau_id, "name_ja": bureau, "name_en": f"{bureau_en}, {ministry[2]}", "type": "bureau",
                     "parent": ministry_id, "aliases": [f"{ministry[1]}{bureau}"]})
    for office in offices_used:
        orgs.append({"id": office.id, "name_ja": office.name, "name_en": office.name_en, "type": "office",
                     "parent": office.bureau_id, "aliases": [f"{office.ministry}{office.name}"]})
    orgs += [_org_entry(o) for o in (*AGENCIES, *INSTITUTES)]
    orgs += [{"id": u[0], "name_ja": u[1], "name_en": u[2], "type": "university"} for u in UNIVERSITIES]

    programs: list[dict] = []
    for office in offices_used:
        for section_id, name, name_en in office.sections:
            programs.append({"id": section_id, "name_ja": name, "name_en": name_en,
                             "note": "budget section (施策の柱) whose page lists its programs"})
    for p in plan.programs:
        programs.append({"id": p.id, "name_ja": p.name, "name_en": p.name_en, "short_name": p.short,
                         "predecessors": [p.predecessor] if p.predecessor else []})
        for sub in (s for s in p.subs if s.id in printed):
            programs.append({"id": sub.id, "name_ja": sub.name, "name_en": sub.name_en, "parent": p.id})
        for fund_id, name, name_en, _, _ in (f for f in p.funds.values() if f[0] in printed):
            programs.append({"id": fund_id, "name_ja": name, "name_en": name_en, "parent": p.id})

    strategies: list[dict] = []
    previous: dict[str, str] = {}
    for s in sorted(plan.strategies, key=lambda s: (s[4] or s[0], s[6])):
        strategies.append({"id": s[0], "name_ja": s[1], "name_en": s[2], "type": s[3], "series": s[4],
                           "edition_year": s[5] if s[4] else None, "decision_date": s[6], "decided_by": s[7],
                           "previous_edition": previous.get(s[4]) if s[4] else None})
        if s[4]:
            previous[s[4]] = s[0]
    return {
        "organizations.yaml": _entries_yaml(note, orgs),
        "programs.yaml": _entries_yaml(note, programs),
        "strategies.yaml": _entries_yaml(note, sorted(strategies, key=lambda e: e["id"])),
        "hubs.yaml": note + "[]\n",
    }


def catalog_text(specs: list[DocSpec], seed: int) -> str:
    out = ["# Synthetic corpus written by `stikg synth` (documents in the genre of the MEXT budget pamphlets;\n"
           "# every program, figure and office in them is invented).\n\ndocuments:\n"]
    for spec in sorted(specs, key=lambda s: s.id):
        o = spec.office
        if spec.kind == "budget_request":
            title = f"{era(spec.fy)}年度概算要求 {o.ministry}{o.name} 主要事項"
            title_en = f"FY{spec.fy} budget request: {o.name_en}"
        else:
            title = f"{era(spec.fy)}年度予算（案）の概要 {o.ministry}{o.name}"
            title_en = f"FY{spec.fy} draft budget: {o.name_en}"
        fields = {"id": spec.id, "title_ja": title, "title_en": title_en, "issuer": f"{o.ministry}{o.name}",
                  "issuer_org": o.id, "date": spec.date, "fiscal_year": spec.fy, "kind": spec.kind,
                  "origin": f"stikg synth (synthetic document, seed {seed})"}
        out.append("  - " + "\n    ".join(f"{k}: {_yaml(v)}" for k, v in fields.items()) + "\n\n")
    return "".join(out)


def gold_csv(rows: list[tuple], table: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(GOLD_COLUMNS[table])
    for row in sorted(rows, key=lambda r: (r[1], *map(str, r[2:]))):
        writer.writerow(["true" if v is True else "false" if v is False else v for v in row])
    return buf.getvalue()


# ------------------------------------------------------------------------ size and memory
@dataclass(frozen=True)
class Estimate:
    """What a corpus of this size builds to, and the memory the build needs."""

    programs: int
    years: int
    documents: int
    program_years: float
    quads: int
    build_bytes: int

    def describe(self) -> str:
        return (f"~{self.quads:,} triples ({self.documents:,} documents, ~{self.program_years:,.0f} program pages), "
                f"build needs ~{self.build_bytes / 2**30:.1f} GB")


def estimate(programs: int, years: int) -> Estimate:
    """Quads in ``kg/`` and peak RSS of ``stikg build`` for a corpus of this size (calibrated model)."""
    per_office = programs_per_office(programs)
    offices = max(1, math.ceil(programs / per_office))
    program_years = programs * expected_active_years(years)
    documents = offices * years
    quads = int(program_years * QUADS_PER_PROGRAM_YEAR + programs * QUADS_PER_PROGRAM
                + documents * QUADS_PER_DOCUMENT + QUADS_FIXED)
    return Estimate(programs, years, documents, program_years, quads, BASE_BYTES + quads * BYTES_PER_QUAD)


def available_memory() -> int:
    """MemAvailable of this machine in bytes (4 GiB when it cannot be read)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 2**30


def check_size(programs: int, years: int, max_memory: int | None = None) -> Estimate:
    """Refuse (SynthError) a size that is malformed or whose build would not fit in memory."""
    if programs < 1:
        raise SynthError(f"--programs must be at least 1, got {programs}")
    if not 1 <= years <= MAX_YEARS:
        raise SynthError(f"--years must be between 1 and {MAX_YEARS}, got {years}")
    est = estimate(programs, years)
    limit = available_memory() if max_memory is None else max_memory
    if est.build_bytes > limit:
        raise SynthError(
            f"refusing: ~{est.quads:,} triples would need ~{est.build_bytes / 2**30:.1f} GB to build, "
            f"limit {limit / 2**30:.1f} GB (--max-memory); generate fewer programs or years")
    return est


# ------------------------------------------------------------------------------ generation
@dataclass
class SynthResult:
    """What was written."""

    out: Path
    documents: int
    lines: int
    rows: dict[str, int]
    estimate: Estimate


def render_corpus(plan: Plan, seed: int) -> tuple[list[DocSpec], dict[str, DocWriter]]:
    """Every document's text and ground truth (in memory)."""
    active: dict[tuple[int, str], list[Program]] = {}
    for p in plan.programs:
        for fy in range(max(p.start, plan.first), min(p.end, plan.last) + 1):
            active.setdefault((fy, p.office.id), []).append(p)
    specs: list[DocSpec] = []
    docs: dict[str, DocWriter] = {}
    for fy in range(plan.first, plan.last + 1):
        for office in plan.offices:
            programs = active.get((fy, office.id))
            if not programs:
                continue
            spec = DocSpec(fy, office, document_kind(seed, fy, office))
            specs.append(spec)
            docs[spec.id] = DocumentRenderer(spec, programs, plan.strategies, seed).render()
    return specs, docs


def _files(plan: Plan, seed: int, specs: list[DocSpec], docs: dict[str, DocWriter]) -> dict[str, str]:
    files: dict[str, str] = {}
    for spec in specs:
        writer = docs[spec.id]
        files[f"sources/{spec.id}"] = "\n".join(writer.lines) + "\n"
        for table in GOLD_COLUMNS:
            files[f"ground-truth/{spec.stem}/{table}.csv"] = gold_csv(getattr(writer.gold, table), table)
    files["sources/catalog.yaml"] = catalog_text(specs, seed)
    used = {s.office.id: s.office for s in specs}
    offices = [o for o in plan.offices if o.id in used]
    printed = set().union(*(d.printed for d in docs.values())) if docs else set()
    for name, text in registry_files(plan, offices, printed).items():
        files[f"mappings/registry/{name}"] = text
    return files


README = """# Synthetic stikg corpus

Written by `stikg synth --programs {programs} --years {years} --seed {seed}` (stikg {version}).
Every program, office and figure in `sources/` is invented, in the text form of the MEXT budget
pamphlets; `ground-truth/` holds what was generated, in the gold format.

```sh
stikg build --root .                       # extract, map, reason, validate → kg/
stikg eval ground-truth mappings/extracted --registry mappings/registry
```
"""


def generate(programs: int, years: int, out: Path, seed: int = 0, project: Path | None = None,
             max_memory: int | None = None) -> SynthResult:
    """Write a synthetic project root into ``out`` (replaced atomically as a whole)."""
    est = check_size(programs, years, max_memory)
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise SynthError("output exists and was not written by `stikg synth`; give a new or empty directory", out)
    project = Path(project) if project else _project_root()
    for folder in ("ontology", "shapes"):
        if not (project / folder).is_dir():
            raise SynthError(f"no {folder}/ to copy from the project", project / folder)
    plan = make_plan(programs, years, seed)
    specs, docs = render_corpus(plan, seed)
    files = _files(plan, seed, specs, docs)
    files["README.md"] = README.format(programs=programs, years=years, seed=seed, version=__version__)
    rows = {t: sum(len(getattr(d.gold, t)) for d in docs.values()) for t in GOLD_COLUMNS}
    lines = sum(len(d.lines) for d in docs.values())
    marker = {"generator": f"stikg {__version__}", "programs": programs, "years": years, "seed": seed,
              "first_fiscal_year": plan.first, "last_fiscal_year": plan.last, "documents": len(specs),
              "lines": lines, "ground_truth_rows": rows, "estimated_quads": est.quads}
    files[MARKER] = json.dumps(marker, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    atomic.recover_directory(out)
    with atomic.replace_directory(out) as staging:
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for folder in ("ontology", "shapes", "queries"):
            if (project / folder).is_dir():
                shutil.copytree(project / folder, staging / folder,
                                ignore=shutil.ignore_patterns("__pycache__", "*.tmp", ".*"))
        _fsync_tree(staging)
    return SynthResult(out, len(specs), lines, rows, est)


def _project_root() -> Path:
    """The project whose ontology/shapes/queries the corpus uses: $STIKG_ROOT, the cwd's, else the
    checkout this package lives in."""
    from stikg.core.config import find_root

    root = find_root()
    if (root / "ontology").is_dir():
        return root
    return Path(__file__).resolve().parents[2]


def _fsync_tree(root: Path) -> None:
    """Flush every written file before the directory is swapped in."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def tree_digest(root: Path) -> str:
    """SHA-256 over every file's path and bytes (to check that two runs wrote the same corpus)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
