"""The printing of one synthetic document: the era and yen forms of the genre, the writer that
keeps each document's lines with the facts printed on them (its ground truth, in the gold
format), and the renderer that lays out a document's section pages and program pages in the
printed layouts of the real pamphlets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stikg.synth.plan import Office, Program, Sub, _millions, _rng, in_force
from stikg.synth.vocabulary import DECIDING_BODIES, FIELDS, MINISTRIES, Strategy

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
        pt = w.money(prev) if prev is not None else ""  # printed only where there is a previous year
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
            pt = w.money(sp) if sp is not None else ""
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
