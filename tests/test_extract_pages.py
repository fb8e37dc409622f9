"""Page and program segmentation, periods."""

from __future__ import annotations

from stikg.extract.document import Doc, make_lines
from stikg.extract.pages import segment
from stikg.extract.periods import parse_period
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
    assert [(x.line, x.reason) for x in r.report] == [(11, "period without fiscal years")]


def test_parse_period() -> None:
    assert parse_period("～令和9年度") == (None, 2027)
    assert parse_period("令和7年～") == (2025, None)
    assert parse_period("(H30～)") == (2018, None)
    assert parse_period("昭和57年度") == (1982, None)
    assert parse_period("最大10年間") == (None, None)
    assert parse_period("令和8年度～令和3年度") == (None, None)
