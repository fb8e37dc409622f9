"""The plan of a synthetic corpus, decided before any text is written: its offices (one document
per fiscal year each) with their budget sections, its programs with their lifetimes, budgets,
schemes, organisations, sub-programs, funds and predecessors, and the strategy editions the
documents can cite. Every choice draws on a random stream of its own (:func:`_rng`), so one
part of the corpus does not shift when another changes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from stikg.synth.vocabulary import (
    AGENCIES,
    ANNUAL_SERIES,
    BUREAUS,
    FIELDS,
    FIXED_STRATEGIES,
    FUND_KINDS,
    INSTITUTES,
    LAST_FISCAL_YEAR,
    OFFICE_PATTERNS,
    PAGE_RATE,
    PARTNER_MINISTRIES,
    PILLARS,
    PREFIXES,
    PROGRAMS_PER_OFFICE,
    PROGRAMS_PER_SECTION,
    SUB_KINDS,
    SUFFIXES,
    THEMES,
    UNIVERSITIES,
    Org,
    Strategy,
    SynthError,
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
    order: list[tuple[int, int, int]] = []  # (bureau, field, office pattern)
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
    tries = [(rng.randrange(shape[0]), rng.randrange(shape[1]), rng.randrange(shape[2])) for _ in range(40)]
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
