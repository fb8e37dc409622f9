"""Page and program segmentation, periods."""

from __future__ import annotations

from pathlib import Path

import pytest

from stikg.extract.document import Doc, make_lines
from stikg.extract.pages import segment
from stikg.extract.periods import parse_period
from stikg.extract.run import NO_PROGRAM
from test_extract_support import run

SUMMARY = """
健康・医療分野の研究開発の推進

令和7年度予算額（案） 850億円

- 医学系研究支援プログラム 20億円（新規）
- 革新的先端研究開発支援事業 110億円（110億円）
- 再生医療実現加速化プログラム 92億円（92億円）
- 次世代がん医療加速化研究事業 35億円（35億円）

（担当：研究振興局ライフサイエンス課）

現状・課題

- 医学系研究の相対的な国際競争力の低下が危惧。医学系研究の研究力を抜本的に強化する。

【事業スキーム】

背景・課題

- 「健康・医療戦略」等に基づき、革新的先端研究を推進する。

再生医療実現加速化プログラム

令和7年度予算額（案）
92億円

（担当：研究振興局ライフサイエンス課）

次世代がん医療加速化研究事業

令和7年度予算額（案） 35億円
"""


def _doc(text: str) -> Doc:
    doc = Doc("t.txt", make_lines(text.split("\n")[1:]))
    segment(doc)
    return doc


def test_titles_breaks_and_untitled_pages_named_from_the_summary_list() -> None:
    doc = _doc(SUMMARY)
    programs = [(p.start + 1, p.program) for p in doc.pages if any(not doc.lines[i].blank for i in range(p.start, p.end))]
    assert programs == [
        (1, "健康・医療分野の研究開発の推進"),
        (12, "医学系研究支援プログラム"),
        (18, "革新的先端研究開発支援事業"),
        (22, "再生医療実現加速化プログラム"),
        (29, "次世代がん医療加速化研究事業"),
    ]
    assert doc.pages[0].is_summary


def test_records_carry_their_program() -> None:
    r = run(SUMMARY)
    assert {(c.line, c.program) for c in r.citations} == {(20, "革新的先端研究開発支援事業")}
    bureau = {(o.line, o.program) for o in r.organizations if o.role == "bureau"}
    assert bureau == {(10, "健康・医療分野の研究開発の推進"), (27, "再生医療実現加速化プログラム")}
    by_line = {a.line: a.program for a in r.amounts}
    assert by_line[5] == "医学系研究支援プログラム"
    assert by_line[25] == "再生医療実現加速化プログラム"


def test_inline_title_and_subtitle() -> None:
    doc = _doc("""
ゲノム医療実現バイオバンク利活用プログラム(B-cure)

(Biobank - Construction and Utilization biobank for genomic medicine REalization)

令和7年度予算額（案） 43億円

 生命科学・創薬研究支援基盤事業（BINDS） 令和5年度予算額 3,634百万円
""")
    assert [p.title for p in doc.pages if p.title] == ["ゲノム医療実現バイオバンク利活用プログラム(B-cure)",
                                                        "生命科学・創薬研究支援基盤事業（BINDS）"]


def test_periods() -> None:
    r = run("""
事業実施期間

令和3年度～令和11年度

（事業期間：令和4～8年度）
- ✓事業期間：令和3年度～(10年)
事業期間: 2016~2025年度
- ✓ 事業期間：H30年度～R4年度（ステージゲート評価を経て延長も可能）
事業内容（事業期間：平成元年度～）
開始年度：平成27年度※1
事業期間：10年間
事業期間を通じてTRL6まで行う
""")
    assert [(p.line, p.start_fiscal_year, p.end_fiscal_year) for p in r.periods] == [
        (3, 2021, 2029), (5, 2022, 2026), (6, 2021, 2030), (7, 2016, 2025), (8, 2018, 2022), (9, 1989, None),
        (10, 2015, None),
    ]
    assert [(x.line, x.reason) for x in r.report if x.reason != NO_PROGRAM] == [(11, "period without fiscal years")]
    # no page title here: every period is reported as having no program
    assert sorted(x.line for x in r.report if x.reason == NO_PROGRAM) == [p.line for p in r.periods]


def test_parse_period() -> None:
    assert parse_period("～令和9年度") == (None, 2027)
    assert parse_period("令和7年～") == (2025, None)
    assert parse_period("(H30～)") == (2018, None)
    assert parse_period("昭和57年度") == (1982, None)
    assert parse_period("最大10年間") == (None, None)
    assert parse_period("令和8年度～令和3年度") == (None, None)


# ----------------------------------------------------------------- programs of untitled pages

PROGRAMS_YAML = """\
- id: ocean-hub
  name_ja: 海洋観測研究拠点プログラム
  name_en: Ocean Observation Research Hub Program
  short_name: OCEAN
- id: deep-sea
  name_ja: 深海探査システム形成事業
  name_en: Deep-sea Exploration System Program
- id: deep-sea-hub
  name_ja: 深海拠点整備プログラム
  name_en: Deep-sea Hub Programme
  parent: deep-sea
- id: deep-sea-network
  name_ja: 深海データ連携プログラム
  name_en: Deep-sea Data Network Programme
  parent: deep-sea
- id: coast-fund
  name_ja: 沿岸研究支援事業
  name_en: Coastal Research Support Program
  short_name: PRIME
- id: organization-like
  name_ja: 海洋科学振興機構運営費
  name_en: Ocean Science Agency operating costs
"""
ORGANIZATIONS_YAML = """\
- id: ocean-agency
  name_ja: 海洋科学振興機構
  name_en: Ocean Science Agency
  type: funding_agency
"""


@pytest.fixture
def registry(tmp_path: Path):
    from stikg.inputs.registry import Registry

    for name, text in (("programs", PROGRAMS_YAML), ("organizations", ORGANIZATIONS_YAML),
                       ("strategies", "[]\n"), ("hubs", "[]\n")):
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return Registry.load(tmp_path)


def _named(text: str, registry=None) -> list[tuple[int, str | None, str | None]]:
    """(first line, program, rule) of every page with text."""
    doc = Doc("t.txt", make_lines(text.split("\n")[1:]), registry=registry)
    segment(doc)
    return [(p.start + 1, p.program, p.named_by) for p in doc.pages
            if sum(1 for i in range(p.start, p.end) if not doc.lines[i].blank) >= 2]


UNTITLED = """
背景・課題

- 海洋の観測網の強化が必要。
{body}

（担当：研究振興局海洋課）
"""


def test_definition_names_the_page() -> None:
    text = UNTITLED.format(body="「海洋観測研究拠点プログラム（以下「OCEAN」という。）等により拠点形成を推進する。」\n"
                                "(海洋戦略2024(令和6年6月4日閣議決定))\n\nOCEAN拠点一覧")
    assert _named(text) == [(1, "海洋観測研究拠点プログラム", "definition")]
    r = run(text)
    assert [(c.line, c.program) for c in r.citations] == [(5, "海洋観測研究拠点プログラム")]
    assert not [x for x in r.report if x.reason == NO_PROGRAM]


def test_definition_of_an_organisation_or_an_unused_one_names_nothing() -> None:
    org = UNTITLED.format(body="国立研究開発法人海洋科学振興機構（以下「機構」という。）は観測を行う。\n機構の役割。")
    assert _named(org) == [(1, None, None)]
    unused = UNTITLED.format(body="- 海洋観測研究拠点プログラム（以下「本拠点事業」という。）の成果を活用。")
    assert _named(unused) == [(1, None, None)]
    same = UNTITLED.format(body="- 海洋観測研究拠点プログラム（観測網をいう。以下同じ。）と同じ手法。\n- 同じ拠点。")
    assert _named(same) == [(1, None, None)]


def test_definition_ending_resolved_by_the_registry(registry) -> None:
    # "…機構の" is not part of the program's name: the registry knows the ending as a program
    text = UNTITLED.format(body="- 海洋科学振興機構の海洋観測研究拠点プログラム（以下「本事業」という。）を推進。\n- 本事業の拠点を整備。")
    assert _named(text, registry) == [(1, "海洋観測研究拠点プログラム", "definition")]


def test_registry_dominant_program_names_the_page(registry) -> None:
    text = UNTITLED.format(body="- OCEANの拠点は国際的に高い評価。\n- 沿岸研究支援事業とも連携。\n\nOCEAN拠点一覧\n\n- OCEANの成果")
    assert _named(text, registry) == [(1, "海洋観測研究拠点プログラム", "registry")]
    assert _named(text) == [(1, None, None)]  # no registry, no such evidence


def test_registry_needs_a_clear_margin(registry) -> None:
    text = UNTITLED.format(body="- OCEANの拠点。\n- OCEANの成果。\n- 沿岸研究支援事業の成果。")
    assert _named(text, registry) == [(1, None, None)]  # 2 lines against 1
    once = UNTITLED.format(body="- OCEANの拠点。")
    assert _named(once, registry) == [(1, None, None)]  # below the minimum


def test_registry_sub_programs_name_their_parent_or_themselves(registry) -> None:
    siblings = UNTITLED.format(body="① 深海拠点整備プログラム\n\n- 深海拠点整備プログラムの拠点。\n\n② 深海データ連携プログラム\n\n- 説明。")
    assert _named(siblings, registry) == [(1, "深海探査システム形成事業", "registry")]
    one = UNTITLED.format(body="- 深海拠点整備プログラムの拠点。\n- 深海拠点整備プログラムの成果。\n- 深海拠点整備プログラムの課題。")
    assert _named(one, registry) == [(1, "深海拠点整備プログラム", "registry")]


def test_registry_latin_short_names_whole_words_and_case(registry) -> None:
    from stikg.extract.program_mentions import registry_mentions

    assert registry_mentions("PRIMEの成果", registry) == {"coast-fund"}
    assert registry_mentions("Prime Minister", registry) == set()
    assert registry_mentions("SUPERPRIME", registry) == set()
    assert registry_mentions("OCEAN拠点と海洋観測研究拠点プログラム", registry) == {"ocean-hub"}


def test_dominant_program() -> None:
    from stikg.extract.program_mentions import dominant_program

    parents = {"a": None, "a1": "a", "a2": "a", "b": None}

    def ancestors(pid):
        out = [pid]
        while parents[out[-1]]:
            out.append(parents[out[-1]])
        return out

    assert dominant_program({"a": 3}, ancestors) == "a"
    assert dominant_program({"a": 3, "b": 1}, ancestors) == "a"  # twice as many and 2 more
    assert dominant_program({"a": 3, "b": 2}, ancestors) is None
    assert dominant_program({"a": 4, "b": 2}, ancestors) == "a"
    assert dominant_program({"a": 2, "b": 2}, ancestors) is None
    assert dominant_program({"a": 1}, ancestors) is None
    assert dominant_program({"a": 4, "a1": 2, "a2": 2}, ancestors) == "a"
    assert dominant_program({"a": 4, "a1": 4}, ancestors) == "a1"
    assert dominant_program({}, ancestors) is None


SUMMARY_LINES = """
海洋分野の研究開発の推進

令和7年度予算額（案） 300億円

- 海洋観測研究拠点プログラム 100億円（90億円）
- 深海資源調査船運航事業 120億円（120億円）
- 沿岸防災研究推進事業 80億円（80億円）

（担当：研究振興局海洋課）

海洋観測研究拠点プログラム

令和7年度予算額（案） 100億円

（担当：研究振興局海洋課）

現状・課題

- 拠点の観測データの共有が課題。

海洋観測研究拠点プログラム

観測拠点 観測船

（担当：研究振興局海洋課）

現状・課題

- 深海の資源調査船の運航を継続し、調査船の更新を行う。

沿岸防災研究推進事業

令和7年度予算額（案） 80億円
"""


def test_line_equal_to_a_summary_item_names_the_page() -> None:
    # two untitled pages between two titled ones, one list item left: the page that is like the item
    # takes it, the other shows the name of a listed program in a box
    assert _named(SUMMARY_LINES) == [
        (1, "海洋分野の研究開発の推進", None),
        (11, "海洋観測研究拠点プログラム", None),
        (17, "海洋観測研究拠点プログラム", "summary-line"),
        (27, "深海資源調査船運航事業", "summary"),
        (31, "沿岸防災研究推進事業", None),
    ]


def test_reference_page_continues_the_previous_page() -> None:
    text = """
海洋観測研究拠点プログラム

令和7年度予算額（案） 100億円

- 拠点を整備する。

（担当：研究振興局海洋課）

【参考】

- 「海洋戦略2024」（令和6年6月4日閣議決定）に基づく拠点の成果。
"""
    assert _named(text) == [(1, "海洋観測研究拠点プログラム", None), (9, "海洋観測研究拠点プログラム", "continuation")]
    assert [(c.line, c.program) for c in run(text).citations] == [(11, "海洋観測研究拠点プログラム")]
    opening = text.replace("【参考】", "【参考】\n\n背景・課題")
    assert _named(opening)[1] == (9, None, None)  # a page of its own


def test_response_line_names_the_paragraph_above() -> None:
    r = run("""
取組の方向性

①研究開発の推進体制

 海洋研究開発機構、気象研究機構等と連携した支援体制を整備する必要がある。

→ 「沿岸防災研究推進事業」、「深海資源調査船運航事業」において、拠点を整備

②人材育成

 大学の人材育成を支援する必要がある。
""")
    assert {(o.line, o.program) for o in r.organizations} == {(5, "沿岸防災研究推進事業")}
    assert not [x for x in r.report if x.reason == NO_PROGRAM]


def test_orphan_title_before_a_repeated_section_opens_the_page() -> None:
    text = """
海洋観測研究拠点プログラム

令和7年度予算額（案） 100億円

事業概要

- 拠点を整備する。

深海資源調査船運航事業

事業概要

- 「海洋戦略2024」（令和6年6月4日閣議決定）に基づき調査船を運航する。

令和7年度予算額（案） 120億円
"""
    assert _named(text) == [(1, "海洋観測研究拠点プログラム", None), (9, "深海資源調査船運航事業", None)]
    r = run(text)
    assert [(c.line, c.program) for c in r.citations] == [(13, "深海資源調査船運航事業")]
    assert [(a.line, a.program) for a in r.amounts] == [(3, "海洋観測研究拠点プログラム"), (15, "深海資源調査船運航事業")]
    label = text.replace("深海資源調査船運航事業\n", "観測データの利活用\n")  # not a program's name: stays where it is
    assert _named(label)[1] == (11, None, None)


def test_records_without_a_program_are_reported() -> None:
    r = run("""
背景・課題

- 「海洋戦略2024」（令和6年6月4日閣議決定）に基づき観測網を強化。
- 海洋研究開発機構とも連携。
""")
    assert [c.program for c in r.citations] == [""]
    assert [(x.line, x.reason) for x in r.report] == [(3, NO_PROGRAM), (4, NO_PROGRAM)]
    assert [x.text for x in r.report][0].startswith("- 「海洋戦略2024」")
