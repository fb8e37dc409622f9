"""Organisations and roles: bureau, funding agency, implementer, host, recipient, partner."""

from __future__ import annotations

from stikg.extract.organizations import is_generic, org_key, org_type
from test_extract_support import run


def roles(result) -> set[tuple]:
    return {(o.line, o.organization, o.role) for o in result.organizations}


def test_role_cues() -> None:
    r = run("""
再生医療研究事業

令和7年度予算額（案） 92億円

- 経産省との連携により自動製造技術の研究開発を強化。
- 国立国際医療研究センター等と連携し、モニタリング体制を構築。
- **日本医療研究開発機構（AMED）**を通じて、研究時間の確保に取り組む。
- 大学共同利用機関法人情報・システム研究機構において、統合検索技術を開発。
- 創薬・医療技術基盤プログラム（DMP） 11億円（10億円）※理研運営費交付金推計額
② 長崎大学BSL4施設を中核とした研究の推進
研究推進サポート機関（がん研究会等）による専門的支援体制
革新知能統合研究センター (AIPセンター) 理化学研究所【拠点】
戦略的創造研究推進事業 (一部) 科学技術振興機構【ファンディング】
交付先：東北大学
〔東京大学宇宙線研究所、高エネルギー加速器研究機構〕
◆ 基礎基盤研究 (5件: 分子研、慶應大、NII)
（担当：研究振興局ライフサイエンス課）
""")
    got = roles(r)
    expected = {
        (5, "経産省", "partner"),
        (6, "国立国際医療研究センター", "partner"),
        (7, "日本医療研究開発機構（AMED）", "funding_agency"),
        (8, "大学共同利用機関法人情報・システム研究機構", "implementer"),
        (9, "理研", "implementer"),
        (10, "長崎大学", "host"),
        (11, "がん研究会", "implementer"),
        (12, "理化学研究所", "host"),
        (13, "科学技術振興機構", "funding_agency"),
        (14, "東北大学", "recipient"),
        (15, "東京大学宇宙線研究所", "implementer"),
        (15, "高エネルギー加速器研究機構", "implementer"),
        (16, "分子研", "implementer"),
        (16, "慶應大", "implementer"),
        (16, "NII", "implementer"),
        (17, "研究振興局ライフサイエンス課", "bureau"),
    }
    assert expected <= got, expected - got
    assert got - expected == set()


def test_once_per_program_and_role_and_no_ministry_implementer() -> None:
    r = run("""
ある研究事業

令和7年度予算額（案） 10億円

経産省との連携により推進。経産省との連携を強化。
文部科学省において措置
AMED、PMDAやMEDISO等を含めた各種のサポート体制に加え、支援拡充を図る。
全国の他のバイオバンクや、臨床医、民間企業等と幅広く連携
""")
    assert roles(r) == {(5, "経産省", "partner"), (7, "PMDA", "partner"), (7, "MEDISO", "partner")}


def test_hub_host_list() -> None:
    r = run("""
橋渡し研究プログラム

令和５年度予算額 5,548百万円

 東京大学トランスレーショナルリサーチ
推進センター

大阪大学

北海道大学病院 医療・ヘルスサイエンス
研究開発機構プロモーションユニット

東北大学病院臨床研究推進センター
名古屋大学医学部附属病院

国立がん研究センター
""")
    assert roles(r) == {
        (5, "東京大学トランスレーショナルリサーチ推進センター", "host"),
        (10, "北海道大学病院 医療・ヘルスサイエンス研究開発機構プロモーションユニット", "host"),
        (13, "東北大学病院臨床研究推進センター", "host"),
        (14, "名古屋大学医学部附属病院", "host"),
    }


def test_org_key_and_types() -> None:
    assert org_key("AMED") == org_key("日本医療研究開発機構（AMED）") == org_key("日本医療研究開発機構")
    assert org_key("国立研究開発法人科学技術振興機構") == org_key("JST")
    assert org_key("東北メディカル・メガバンク（TMM）") == org_key("TMM")
    assert org_key("NCBN（ナショナルセンターバイオバンクネットワーク）") == org_key("NCBN")
    assert org_key("臨床研究中核病院（厚生労働省）") == org_key("臨床研究中核病院")
    assert org_key("理研") != org_key("NII")
    assert org_type("JSPS") == "funding_agency"
    assert org_type("文部科学省") == "ministry"
    assert org_type("どこかの会社") is None
    for generic in ("大学等", "大学・国立研究開発法人等", "研究者・橋渡し研究支援機関等", "国", "民間企業", "各大学"):
        assert is_generic(generic), generic
    assert not is_generic("長崎大学")


def test_bureau_line_variants() -> None:
    for line, office in [
        ("（担当：研究振興局ライフサイエンス課）", "研究振興局ライフサイエンス課"),
        ("(担当課：研究振興局基礎・基盤研究課) 7", "研究振興局基礎・基盤研究課"),
        ("【担当】 科学技術・学術政策局人材政策課", "科学技術・学術政策局人材政策課"),
        ("(担当：研究振興局参事官 (ナノテクノロジー・物質・材料担当) 付)", "研究振興局参事官(ナノテクノロジー・物質・材料担当)付"),
    ]:
        r = run(f"研究開発事業\n令和7年度予算額（案） 10億円\n{line}")
        assert [(o.line, o.organization, o.role, o.program) for o in r.organizations] == [(3, office, "bureau", "研究開発事業")]


def test_an_item_closed_by_its_implementer_in_lenticular_brackets() -> None:
    r = run("""地球観測の推進
次世代の観測衛星の開発【JAXA】
100百万円(90百万円)
深海探査技術の高度化【JAMSTEC、海洋大学】
【事業スキーム】
""")
    assert {(o.line, o.organization, o.role) for o in r.organizations} == {
        (2, "JAXA", "implementer"), (4, "JAMSTEC", "implementer"), (4, "海洋大学", "implementer")}
