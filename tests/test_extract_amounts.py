"""Amounts: budget headers, item and bare lines, stages, previous year, funds, grant sizes."""

from __future__ import annotations

from test_extract_support import amounts, reasons, run

HEADER = """
ライフサイエンス研究の推進

令和7年度予算額（案） 850億円
（前年度予算額 847億円）
※運営費交付金中の推計額含む
（うちAMED予算額（案） 583億円（前年度予算額 581億円））

令和6年度補正予算額 181億円
"""


def test_header_lines_and_previous_year() -> None:
    r = run(HEADER)
    assert amounts(r) == [
        (3, 2025, "budget_draft", 85_000_000_000, False),
        (4, 2024, "previous_year_budget", 84_700_000_000, False),
        (6, 2025, "budget_draft", 58_300_000_000, False),
        (6, 2024, "previous_year_budget", 58_100_000_000, False),
        (8, 2024, "supplementary", 18_100_000_000, False),
    ]
    assert r.amounts[0].program == "ライフサイエンス研究の推進"
    assert r.amounts[2].program == "ライフサイエンス研究の推進 > AMED予算"
    assert r.amounts[0].amount_text == "850億円"
    assert (r.fiscal_year, r.stage) == (2025, "budget_draft")


def test_labels_and_figures_on_separate_lines_pair_in_order() -> None:
    r = run("""
次世代がん医療加速化研究事業

令和7年度要求・要望額
（前年度予算額

36億円
35億円）

令和6年度第1次補正予算額

12億円
""")
    assert amounts(r) == [
        (6, 2025, "request", 3_600_000_000, False),
        (7, 2024, "previous_year_budget", 3_500_000_000, False),
        (11, 2024, "supplementary", 1_200_000_000, False),
    ]
    assert r.amounts[2].supplementary_round == 1
    assert {a.program for a in r.amounts} == {"次世代がん医療加速化研究事業"}


def test_summary_items_partial_new_and_attached_supplementary() -> None:
    r = run("""
健康・医療分野の研究開発の推進

令和7年度予算額（案） 850億円

- 医学系研究支援プログラム【令和6年度補正予算額 134億円】
- 革新的先端研究開発支援事業 110億円（110億円）
- 再生医療プログラム 92億円（92億円）
【令和6年度補正予算額 21億円】
- バイオリソース研究事業 13億円の内数（13億円の内数）※理研運営費交付金推計額
- 新規研究事業 26億円 (新規)
""")
    got = amounts(r)
    assert (5, 2024, "supplementary", 13_400_000_000, False) in got
    assert (6, 2025, "budget_draft", 11_000_000_000, False) in got
    assert (6, 2024, "previous_year_budget", 11_000_000_000, False) in got
    assert (8, 2024, "supplementary", 2_100_000_000, False) in got
    assert (9, 2025, "budget_draft", 1_300_000_000, True) in got
    assert (9, 2024, "previous_year_budget", 1_300_000_000, True) in got
    by_line = {a.line: a for a in r.amounts}
    assert by_line[8].program.endswith("再生医療プログラム")
    assert by_line[9].amount_text == "13億円の内数"
    assert by_line[10].is_new


def test_sub_programs_bare_pairs_and_enumerators() -> None:
    r = run("""
医療分野国際共同研究事業

令和7年度予算額（案）
（前年度予算額）

9.2億円
9.2億円）

戦略的国際共同研究プログラム (SICORP)

3.3億円
(3.0億円)

③ゲノム医療実現推進プラットフォーム 14億円※（14億円）
（１）ナショナルバイオリソースプロジェクト（NBRP）（事業期間：令和4～8年度）
①中核的拠点整備プログラム（10.4億円）33拠点（うち5拠点は理研運営費交付金で実施）
橋渡し研究支援プログラム：54億円
I iPS細胞研究中核拠点 2,700百万円
""")
    got = {(a.line, a.stage): a for a in r.amounts}
    assert got[(11, "budget_draft")].amount_yen == 330_000_000
    assert got[(11, "budget_draft")].program == "医療分野国際共同研究事業 > 戦略的国際共同研究プログラム (SICORP)"
    assert got[(12, "previous_year_budget")].amount_yen == 300_000_000
    assert got[(12, "previous_year_budget")].fiscal_year == 2024
    assert got[(14, "previous_year_budget")].amount_yen == 1_400_000_000
    assert got[(14, "budget_draft")].program.endswith("> ゲノム医療実現推進プラットフォーム")
    assert got[(16, "budget_draft")].amount_yen == 1_040_000_000
    assert got[(16, "budget_draft")].program.endswith("ナショナルバイオリソースプロジェクト（NBRP） > 中核的拠点整備プログラム")
    assert got[(17, "budget_draft")].amount_yen == 5_400_000_000
    assert got[(18, "budget_draft")].amount_yen == 2_700_000_000


def test_fund_with_years_takes_the_supplementary_year() -> None:
    r = run("""
橋渡し研究プログラム

令和7年度予算額（案） 54億円

令和5年度補正予算において、以下について基金を措置

大学発医療系スタートアップ支援プログラム：152億円（5年間）
""")
    fund = [a for a in r.amounts if a.stage == "fund"]
    assert len(fund) == 1
    assert (fund[0].line, fund[0].fiscal_year, fund[0].amount_yen, fund[0].fund_years) == (7, 2023, 15_200_000_000, 5)


def test_enacted_budget_hyakuman_yen_and_explicit_previous_year() -> None:
    r = run("""
 生命科学・創薬研究支援基盤事業（BINDS） 令和5年度予算額 3,634百万円
（前年度予算額(令和4年度) 3,702百万円）
令和4年度第2次補正予算額 １，４４９百万円
次世代医療基盤を支えるゲノム・オミックス解析171百万円(255百万円)
""")
    assert amounts(r) == [
        (1, 2023, "budget", 3_634_000_000, False),
        (2, 2022, "previous_year_budget", 3_702_000_000, False),
        (3, 2022, "supplementary", 1_449_000_000, False),
        (4, 2023, "budget", 171_000_000, False),
        (4, 2022, "previous_year_budget", 255_000_000, False),
    ]
    assert r.amounts[0].program == "生命科学・創薬研究支援基盤事業（BINDS）"
    assert r.amounts[2].supplementary_round == 2


def test_grant_sizes_prose_notes_and_foreign_currency_are_reported_not_extracted() -> None:
    r = run("""
世界トップレベル研究拠点プログラム

令和7年度要求・要望額 70億円

- 支援規模 最大7億円/年×10年+最大3億円/年×最大5年間
- 最先端設備の導入費用(1件あたり10億円上限)を支援
- 基盤研究 : (期間6年、4千万円程度/課題/年)
支援タイプ
- Interstellar Initiative：2百万円（1年間）
東京大学Kavli IPMUは米国カブリ財団からの22.5億円の寄附により基金を造成
社会的コスト予測は、日本だけで2030年には約21兆円と試算。
※上記の他、計算基盤の環境整備として、76億円を別途計上。
■日本 17,386 千USドル
(基盤C: 330万円→470万円)
""")
    assert amounts(r) == [(3, 2025, "request", 7_000_000_000, False)]
    why = reasons(r)
    assert set(why[5]) == {"per-project grant size, not a program budget"}
    assert len(why[5]) == 2
    assert why[6] == ["per-project grant size, not a program budget"]
    assert why[7] == ["per-project grant size, not a program budget"]
    assert why[9] == ["per-project grant size, not a program budget"]
    # the endowment line also looks like a flow (基金を造成) with no recipient: reported as such too
    assert why[10] == ["amount in running text", "funding words without two recognisable organisations"]
    assert why[11] == ["approximate amount (約)"]
    assert why[12] == ["amount in a note (※)"]
    assert why[13] == ["non-yen amount"]
    assert why[14] == ["figure in a before→after comparison"] * 2


def test_every_amount_like_line_is_accounted_for() -> None:
    text = HEADER + "\n事業の規模は約100億円程度である。\n"
    r = run(text)
    lines_with_figures = {n for n, line in enumerate(text.split("\n")[1:], 1) if "円" in line}
    accounted = {a.line for a in r.amounts} | {x.line for x in r.report}
    assert lines_with_figures <= accounted


def test_kind_and_fiscal_year_arguments_are_the_fallback() -> None:
    text = """
新しい研究事業

- 研究拠点の形成 12億円（10億円）
"""
    assert amounts(run(text)) == []
    assert run(text).report[0].reason == "no budget stage or fiscal year for amount"
    r = run(text, fiscal_year=2026, kind="budget_request")
    assert amounts(r) == [(3, 2026, "request", 1_200_000_000, False), (3, 2025, "previous_year_budget", 1_000_000_000, False)]
    # the text wins over the arguments
    r = run("令和7年度予算額（案） 5億円\n- 研究拠点 3億円", fiscal_year=2030, kind="budget_request")
    assert amounts(r)[1] == (2, 2025, "budget_draft", 300_000_000, False)


def test_pending_labels_expire() -> None:
    r = run("令和7年度予算額（案） 10億円\n(予算額)\n" + "説明の文章です。\n" * 12 + "研究拠点\n\n3億円\n")
    assert amounts(r)[-1][2] == "budget_draft"


def test_statistics_are_not_budgets() -> None:
    r = run("令和7年度要求・要望額 10億円\n<2022年輸出総額 (98兆円) 内訳>\n")
    assert len(r.amounts) == 1
    assert reasons(r)[2] == ["statistic, not a program budget"]


def test_differences_breakdowns_and_new_marks() -> None:
    r = run("""
研究基盤事業

令和7年度要求・要望額 30億円
（対前年度増減額 ▲2億円）
（うち基盤整備事業 10億円）
○データ基盤の構築【新規】 5億円
""")
    got = {(a.line, a.amount_yen): a for a in r.amounts}
    assert set(got) == {(3, 3_000_000_000), (5, 1_000_000_000), (6, 500_000_000)}
    assert got[(5, 1_000_000_000)].program == "研究基盤事業 > 基盤整備事業"
    assert got[(6, 500_000_000)].is_new
    assert got[(6, 500_000_000)].program == "研究基盤事業 > データ基盤の構築"
    assert reasons(r)[4] == ["difference from the previous year, not a budget"]


def test_unit_prices_and_new_in_brackets() -> None:
    r = run("令和7年度要求・要望額 10億円\n- 拠点形成 5件×2億円\n- 新たな研究拠点の形成 3億円【新規】\n")
    assert [(a.line, a.amount_yen, a.is_new) for a in r.amounts] == [(1, 1_000_000_000, False), (3, 300_000_000, True)]
    assert reasons(r)[2] == ["per-project grant size, not a program budget"]


def test_header_variants() -> None:
    r = run("""
スーパーコンピュータ「富岳」の運営
令和6年度要求・要望額　　１８，５３９百万円
（前年度予算額　　　　　 １８，０１６百万円）

量子研究開発事業
【令和6年度要求・要望額】 １５億円
【前年度予算額】 １２億円

次世代放射光施設の整備
令和6年度予算額（案）：　２０億円（前年度：１８億円）

AI研究拠点（令和7年度予算額：30億円、令和6年度予算額：25億円）
開始年度：令和4年度（第2次補正予算）
""")
    assert [(a.line, a.program, a.fiscal_year, a.stage, a.amount_yen) for a in r.amounts] == [
        (2, "スーパーコンピュータ「富岳」の運営", 2024, "request", 18_539_000_000),
        (3, "スーパーコンピュータ「富岳」の運営", 2023, "previous_year_budget", 18_016_000_000),
        (6, "量子研究開発事業", 2024, "request", 1_500_000_000),
        (7, "量子研究開発事業", 2023, "previous_year_budget", 1_200_000_000),
        (10, "次世代放射光施設の整備", 2024, "budget_draft", 2_000_000_000),
        (10, "次世代放射光施設の整備", 2023, "previous_year_budget", 1_800_000_000),
        (12, "AI研究拠点", 2025, "budget", 3_000_000_000),
        (12, "AI研究拠点", 2024, "budget", 2_500_000_000),
    ]
