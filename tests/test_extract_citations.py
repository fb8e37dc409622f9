"""Citations of strategies and plans: quoted, dated, headings, excerpts, plain mentions."""

from __future__ import annotations

from stikg.extract.citations import is_strategy_name
from test_extract_support import reasons, run


def cites(result) -> list[tuple]:
    return [(c.line, c.strategy, c.decision_date, c.decision_body) for c in result.citations]


def test_quoted_list_shares_the_decision_paren() -> None:
    r = run("""
- 「経済財政運営と改革の基本方針2024」、「新しい資本主義のグランドデザイン及び実行計画2024年改訂版」（令和6年6月閣議決定）等に基づき、研究を推進する。
- 「創薬力の向上により国民に最新の医薬品を迅速に届けるための構想会議」中間とりまとめを踏まえ、支援を充実する。
""")
    assert cites(r) == [
        (1, "経済財政運営と改革の基本方針2024", "2024-06", "閣議決定"),
        (1, "新しい資本主義のグランドデザイン及び実行計画2024年改訂版", "2024-06", "閣議決定"),
        (2, "創薬力の向上により国民に最新の医薬品を迅速に届けるための構想会議中間とりまとめ", "", ""),
    ]
    assert r.citations[2].strategy_text.startswith("「創薬力")


def test_unquoted_names_with_decision_parens() -> None:
    r = run("""
 健康・医療戦略（令和2年3月閣議決定）に基づき、研究を実施。
経済財政運営と改革の基本方針2024(令和6年6月閣議決定)に基づき、G7との共同研究を推進し、新しい資本主義のグランドデザイン及び実行計画2024年改訂版(令和6年6月閣議決定)に基づき交流する。
健康・医療戦略(令和2年3月閣議決定)及び医療分野研究開発推進計画(令和2年3月健康・医療戦略推進本部決定)等に基づき、整備する。
「バイオエコノミー戦略」（令和6年6月3日統合イノベーション戦略推進会議決定）等に基づき、推進する。
「医療用等ラジオアイソトープ製造・利用推進アクションプラン」（令和4年原子力委員会決定）を踏まえ推進
""")
    assert cites(r) == [
        (1, "健康・医療戦略", "2020-03", "閣議決定"),
        (2, "経済財政運営と改革の基本方針2024", "2024-06", "閣議決定"),
        (2, "新しい資本主義のグランドデザイン及び実行計画2024年改訂版", "2024-06", "閣議決定"),
        (3, "健康・医療戦略", "2020-03", "閣議決定"),
        (3, "医療分野研究開発推進計画", "2020-03", "健康・医療戦略推進本部決定"),
        (4, "バイオエコノミー戦略", "2024-06-03", "統合イノベーション戦略推進会議決定"),
        (5, "医療用等ラジオアイソトープ製造・利用推進アクションプラン", "2022", "原子力委員会決定"),
    ]


def test_headings_with_date_lines_and_quoted_policy_text() -> None:
    r = run("""
<政策文書における記載>

新しい資本主義のグランドデザイン及び実行計画2024年改訂版
(2024年6月閣議決定)

ライフ・コースに着目した健康医療の研究開発を推進する。

【統合イノベーション戦略2024】
(令和6年6月4日閣議決定)

「がん研究10か年戦略（第5次）」に基づく社会実装を意識したがん研究の推進を図る。

事業内容
""")
    assert cites(r) == [
        (3, "新しい資本主義のグランドデザイン及び実行計画2024年改訂版", "2024-06", "閣議決定"),
        (8, "統合イノベーション戦略2024", "2024-06-04", "閣議決定"),
    ]
    assert reasons(r)[11] == ["citation inside quoted policy text"]


def test_excerpt_of_council_material_and_attribution_parens() -> None:
    r = run("""
令和５年１月13日ライフサイエンス委員会
（第105回）資料2-2より抜粋

令和４年12月27日 第５回 脳科学作業部会 資料2-2より抜粋

- 国際ネットワークの強化を図る必要がある。(令和2年7月、統合イノベーション戦略2020)
「橋渡し研究支援機関認定制度実施要綱」（令和３
年３月31日 文部科学大臣決定）に基づき認定
""")
    assert cites(r) == [
        (1, "ライフサイエンス委員会（第105回）資料2-2", "2023-01-13", "ライフサイエンス委員会"),
        (4, "脳科学作業部会（第5回）資料2-2", "2022-12-27", "脳科学作業部会"),
        (6, "統合イノベーション戦略2020", "2020-07", ""),
        (7, "橋渡し研究支援機関認定制度実施要綱", "2021-03-31", "文部科学大臣決定"),
    ]


def test_plain_mention_of_a_strategy_cited_elsewhere() -> None:
    r = run("""
「医療機器基本計画」（令和4年5月閣議決定）を踏まえ、研究を推進する。
研究者のシーズを医療機器基本計画の重点分野における革新的な機器に繋げる。
医療機器基本計画推進会議の資料を参照。
""")
    assert [(c.line, c.strategy) for c in r.citations] == [(1, "医療機器基本計画"), (2, "医療機器基本計画")]


def test_edition_marker_dropped_when_the_plain_name_is_cited() -> None:
    r = run("""
 健康・医療戦略（令和2年3月閣議決定）に基づき実施。
 健康・医療戦略（第２期）（令和2年3月閣議決定）に基づき推進。
「がん研究10か年戦略（第5次）」等を踏まえ推進。
""")
    assert [c.strategy for c in r.citations] == ["健康・医療戦略", "健康・医療戦略", "がん研究10か年戦略（第5次）"]


def test_quoted_terms_that_are_not_strategies() -> None:
    r = run("""
「橋渡し研究支援機関」として文部科学大臣が認定
→ 「先端的バイオ創薬基盤技術開発事業」、「橋渡し研究プログラム」において支援
「個別重点研究課題」の5つの研究領域は「中核拠点」と連携
日仏共同研究「分子技術 (第1期)」
 (平成26年度採択課題)
**橋渡し研究支援機関（文部科学大臣認定）**を通じ、臨床研究中核病院（厚生労働大臣承認）と連携
【事業スキーム】
""")
    assert r.citations == []


def test_is_strategy_name() -> None:
    for name in ("統合イノベーション戦略2024", "がん対策推進基本計画（第4期）", "AI戦略2019フォローアップ",
                 "量子産業の創出・発展に向けた推進方策", "研究力強化・若手研究者支援総合パッケージ",
                 "国立研究開発法人の機能強化に向けた取組について"[:0] + "SDGs実施指針"):
        assert is_strategy_name(name), name
    for name in ("橋渡し研究プログラム", "先端研究基盤刷新事業", "中核拠点", "Society 5.0"):
        assert not is_strategy_name(name), name


def test_registry_gives_canonical_names() -> None:
    class Entry:
        id = "new-capitalism-2024"
        name_ja = "新しい資本主義のグランドデザイン及び実行計画2024年改訂版"

    class Registry:
        def resolve(self, kind, name):
            return Entry() if kind == "strategy" and "新しい資本主義" in name else None

    r = run("「新しい資本主義実行計画2024」（令和6年6月21日閣議決定）に基づき推進。", registry=Registry())
    assert r.citations[0].strategy == Entry.name_ja
    assert r.citations[0].strategy_text == "新しい資本主義実行計画2024"


def test_unread_decisions_and_dates_are_reported() -> None:
    r = run("""
本件は（令和6年6月閣議決定）のとおり。
「AI戦略2024」（令和6年13月閣議決定）に基づく。
""")
    assert [c.strategy for c in r.citations] == ["AI戦略2024"]
    assert reasons(r) == {1: ["decision text without a recognisable strategy name"],
                          2: ["unreadable decision date", "program not identified"]}


def test_a_dated_name_cut_by_the_end_of_an_excerpt() -> None:
    r = run("""宇宙開発利用加速化事業
統合イノベーション戦略2025(令和7年6月
# ---- excerpt break ----
次のページ
""")
    assert [(c.line, c.strategy, c.decision_date) for c in r.citations] == [(2, "統合イノベーション戦略2025", "2025-06")]


def test_bases_named_by_their_cue_without_brackets_or_dates() -> None:
    r = run("""海洋観測推進事業
・第3期海洋基本計画では、観測網の整備が求められている。
・北極域研究推進計画に基づき、観測を行う。
・G20大阪首脳会合の首脳宣言を踏まえ、国際協力を進める。
・研究計画に基づき、毎年度評価する。
・オープン・アンド・クローズ戦略に基づき、データを共有する。
・本計画に沿って、中間とりまとめを踏まえた対応を行う。
""")
    assert [(c.line, c.strategy, c.basis_kind) for c in r.citations] == [
        (2, "第3期海洋基本計画", "plan"), (3, "北極域研究推進計画", "plan"), (4, "G20大阪首脳会合の首脳宣言", "strategy")]
